/**
 * The local AWS servers of a run, started and stopped together: kinesalite (the stream,
 * on disk under the data dir), DynamoDB Local or dynalite (in memory), s3rver (on disk),
 * their clients, the resources the CDK app declares, and `<data dir>/endpoints.json`,
 * which tells `pulse collect` and `pulse status` where they listen while they run.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { writeFileAtomic } from '#core/atomic-write.js';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { createS3Client } from '#core/clients/s3.js';
import { resourceNames } from '#core/resources.js';
import { type LocalDynamo, startDynamoServer } from './dynamodb-server.js';
import { LOCAL_CREDENTIALS, type LocalEndpoints } from './endpoints.js';
import { type LocalServer, startKinesisServer } from './kinesis-server.js';
import { ensureBucket, startS3Server } from './s3-server.js';
import { createStream } from './streams.js';
import { ensureIdempotencyTable, ensureWindowTable } from './tables.js';

/** The local resource names (the stage 'local' of the CDK app's names). */
export type LocalNames = ReturnType<typeof resourceNames>;

/** The clients of the local servers. */
export interface LocalClients {
  kinesis: KinesisClient;
  ddb: DynamoDBClient;
  s3: S3Client;
}

/** What to start. */
export interface LocalServersOptions {
  /** Where the stream and the objects live (a restart on it resumes them). */
  dataDir: string;
  shards: number;
  /** kinesalite's port (0 or undefined: any free port). */
  kinesisPort?: number;
  /** Also create the idempotency table and the drop bucket (the sources run). */
  sources: boolean;
  log: (line: string) => void;
}

/** The drop bucket's notifications, from s3rver (started first) to the file drop (wired later). */
interface DropRelay {
  listener?: (event: S3Event) => void;
}

/** See the module comment. */
export class LocalServers {
  private constructor(
    readonly names: LocalNames,
    private readonly dataDir: string,
    private readonly kinesisServer: LocalServer,
    /** The local DynamoDB, and which implementation it is. */
    readonly dynamo: LocalDynamo,
    private readonly s3Server: LocalServer,
    readonly clients: LocalClients,
    /** Where the drop bucket's object notifications go (see {@link onDropEvent}). */
    private readonly drops: DropRelay,
  ) {}

  /**
   * Starts the servers and their clients and creates the resources.
   * @returns the servers, and whether the stream is new (false: an earlier run's, resumed)
   */
  static async start(o: LocalServersOptions): Promise<{ servers: LocalServers; fresh: boolean }> {
    const names = resourceNames('local');
    const drops: DropRelay = {};
    const started: LocalServer[] = [];
    let servers: LocalServers;
    try {
      // The stream and the lake live under the data dir, so a restart resumes them. DynamoDB
      // stays in memory: DynamoDB Local's file mode made each write ~100x slower (SQLite), and
      // the windows are a projection, rebuilt exactly from the stream at each start.
      const kinesisServer = await startKinesisServer({ port: o.kinesisPort ?? 0, path: join(o.dataDir, 'kinesis') });
      started.push(kinesisServer);
      mkdirSync(o.dataDir, { recursive: true });
      const dynamo = await startDynamoServer({ pidFile: join(o.dataDir, 'dynamodb-local.pid') });
      started.push(dynamo);
      const s3Server = await startS3Server({
        directory: join(o.dataDir, 's3'),
        onEvent: (e) => {
          if (e.Records[0]?.s3.bucket.name === names.dropBucket) drops.listener?.(e);
        },
      });
      started.push(s3Server);
      const clients = {
        kinesis: createKinesisClient({ endpoint: kinesisServer.endpoint }),
        ddb: createDynamoClient({ endpoint: dynamo.endpoint }),
        s3: createS3Client({ endpoint: s3Server.endpoint }),
      };
      servers = new LocalServers(names, o.dataDir, kinesisServer, dynamo, s3Server, clients, drops);
    } catch (error) {
      // (a server that did start would outlive the failed start)
      for (const server of started.reverse()) await server.stop().catch(() => {});
      throw error;
    }
    try {
      const fresh = await servers.createResources(o);
      servers.logEndpoints(o);
      return { servers, fresh };
    } catch (error) {
      await servers.stop();
      throw error;
    }
  }

  /** Sends the drop bucket's object notifications to `listener` (the file drop). */
  onDropEvent(listener: (event: S3Event) => void): void {
    this.drops.listener = listener;
  }

  /** Writes `<data dir>/endpoints.json`: where the servers listen, for the other commands. */
  writeEndpoints(): void {
    writeFileAtomic(
      join(this.dataDir, 'endpoints.json'),
      JSON.stringify({
        kinesis: this.kinesisServer.endpoint,
        stream: this.names.stream,
        s3: this.s3Server.endpoint,
        dynamodb: this.dynamo.endpoint,
        windowTable: this.names.windowTable,
        lakeBucket: this.names.lakeBucket,
        credentials: LOCAL_CREDENTIALS,
      } satisfies LocalEndpoints),
    );
  }

  /** Removes endpoints.json, closes the clients and stops every server. */
  async stop(): Promise<void> {
    // The servers stop now: pulse collect must not find their old addresses.
    rmSync(join(this.dataDir, 'endpoints.json'), { force: true });
    this.clients.kinesis.destroy();
    this.clients.ddb.destroy();
    this.clients.s3.destroy();
    await this.dynamo.stop();
    await this.s3Server.stop();
    await this.kinesisServer.stop();
  }

  /** @returns true when the stream was created now (false: it was there) */
  private async createResources(o: LocalServersOptions): Promise<boolean> {
    const { kinesis, ddb, s3 } = this.clients;
    const fresh = await createStream(kinesis, this.names.stream, o.shards);
    await ensureWindowTable(ddb, this.names.windowTable);
    await ensureBucket(s3, this.names.lakeBucket);
    if (o.sources) {
      await ensureIdempotencyTable(ddb, this.names.idempotencyTable);
      await ensureBucket(s3, this.names.dropBucket);
    }
    return fresh;
  }

  private logEndpoints(o: LocalServersOptions): void {
    const { names, dynamo } = this;
    o.log(`kinesis  ${this.kinesisServer.endpoint}  stream ${names.stream} (${o.shards} shards)`);
    o.log(
      `dynamodb ${dynamo.endpoint}  ${dynamo.kind === 'dynamodb-local' ? 'DynamoDB Local' : 'dynalite (no Java 17+ that runs source files found: install openjdk-17-jre-headless for DynamoDB Local)'}  table ${names.windowTable}`,
    );
    o.log(`s3       ${this.s3Server.endpoint}  bucket ${names.lakeBucket}  (${join(o.dataDir, 's3')})`);
    o.log(
      'keys     kinesis and dynamodb: any key of letters and digits, any region (DynamoDB Local shares one db); s3: S3RVER / S3RVER, us-east-1',
    );
  }
}
