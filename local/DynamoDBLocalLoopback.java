/*
 * Starts the official DynamoDB Local bound to 127.0.0.1 only. Its own command line has
 * no bind-address option and its Jetty server listens on every interface; this launcher
 * builds the server from the same command-line arguments, sets the host of each of its
 * connectors to the loopback address, then starts it.
 *
 * Run in Java's source-file mode (no build step; needs the jdk.compiler module, which
 * Debian's openjdk-17-jre-headless ships):
 *   java -Djava.library.path=<lib>/DynamoDBLocal_lib -cp <lib>/DynamoDBLocal.jar \
 *     DynamoDBLocalLoopback.java -port N [DynamoDB Local options]
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDBLocalLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind");
    for (Connector c : connectors) ((ServerConnector) c).setHost("127.0.0.1");
    proxy.start();
    System.out.println("DynamoDB Local listening on 127.0.0.1 only");
  }
}
