/**
 * `pulse start`: the whole pipeline on this machine (local servers that speak the AWS
 * APIs, the sources, the hot path, the delivery streams) until a duration, a number of
 * events or Ctrl-C; then it drains the stream and prints one JSON summary line.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '#core/contract/registry.js';
import { DEFAULT_FLUSH_INTERVAL_SECONDS } from '#core/projections/held-state.js';
import { describeSlos } from '#core/slo/slos.js';
import { isConserved } from '#local/conservation.js';
import { LocalPipeline } from '#local/pipeline.js';
import { positiveInt, seconds, UsageError } from '#cli/args.js';
import type { Command } from '#cli/command.js';

const HELP = `pulse start: run the whole pipeline locally. Local servers that speak the AWS APIs
(kinesalite, DynamoDB Local or dynalite, s3rver) on 127.0.0.1; the synthetic fleet
through the producer, and the other sources (scheduled collector, HTTP ingest API,
S3 file drop, host agent) through their handlers; the hot-path handler behind a local event source mapping into
DynamoDB; a local delivery stream (the Firehose transform, Parquet) into the local S3.
On stop (duration, --events, or Ctrl-C) it drains everything the stream holds, then
prints one JSON summary line. Exit 0 only if the stream's events = windowed + late +
quarantined and every event is in the lake. Streams, tables and the lake live in the
data dir: a restart on it resumes from the checkpoints.

Options:
  --duration S      seconds to produce (default 30; 0: until Ctrl-C)
  --events N        stop after N events instead
  --rate N          events per second from the fleet (default 1000)
  --hosts N         hosts in the synthetic fleet, server-001… (default 10)
  --shards N        shards of the local stream (default 2)
  --flush-interval S  seconds the hot path holds window state before writing it, as the
                    Lambda's tumbling window does in AWS (default 60; 0: every batch
                    writes the windows it touches, for the lowest latency)
  --port N          port of the dashboard on 127.0.0.1 (default 8321; 0: any free port)
  --kinesis-port N  port of the local Kinesis server (default: any free port)
  --data-dir D      where the local S3 and the lake cache live (default .data)
  --collector-every S  the scheduled collector's interval, ticks at multiples of it
                    (default 60; 0: off; AWS runs it every 5 minutes)
  --collector-hosts N  servers per collector tick (default 10)
  --ingest-port N   port of the ingest API, POST /v1/events (default 8322; 0: any free port)
  --agent-every S   host agent interval (default 10; 0: off)
  Files put under s3://pulse-local-drop/incoming/ in the local S3 (.csv or .jsonl) are ingested.
  --help            this text`;

/** `--flush-interval`: whole seconds 0–900, as Lambda's tumbling window takes them. */
function flushInterval(raw: string | undefined): number {
  const n = positiveInt('flush-interval', raw, DEFAULT_FLUSH_INTERVAL_SECONDS, 0);
  if (n > 900) throw new UsageError(`--flush-interval must be 0–900 seconds (Lambda's tumbling window), got ${n}`);
  return n;
}

/** Creates the directory if needed and checks it is writable. @throws UsageError naming it */
function writableDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch {
    throw new UsageError(`data dir '${dir}' is not writable: choose another with --data-dir`);
  }
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      hosts: { type: 'string' },
      events: { type: 'string' },
      shards: { type: 'string' },
      'flush-interval': { type: 'string' },
      'kinesis-port': { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'collector-every': { type: 'string' },
      'collector-hosts': { type: 'string' },
      'ingest-port': { type: 'string' },
      'agent-every': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const durationS = positiveInt('duration', values.duration, 30, 0);
  const maxEvents = values.events === undefined ? undefined : positiveInt('events', values.events, 0);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const dataDir = writableDir(values['data-dir'] ?? '.data');
  const pipeline = await LocalPipeline.create({
    registry: SchemaRegistry.load(),
    dataDir,
    hosts: positiveInt('hosts', values.hosts, 10),
    rate: positiveInt('rate', values.rate, 1_000),
    maxEvents,
    shards: positiveInt('shards', values.shards, 2),
    flushIntervalSeconds: flushInterval(values['flush-interval']),
    kinesisPort: positiveInt('kinesis-port', values['kinesis-port'], 0, 0),
    dashboardPort: positiveInt('port', values.port, 8321, 0),
    sources: {
      collectorEveryMs: seconds('collector-every', values['collector-every'], 60) * 1000,
      collectorHosts: positiveInt('collector-hosts', values['collector-hosts'], 10),
      ingestPort: positiveInt('ingest-port', values['ingest-port'], 8322, 0),
      agentEveryMs: seconds('agent-every', values['agent-every'], 10) * 1000,
    },
    log,
  });
  try {
    pipeline.run();
    const until =
      maxEvents !== undefined
        ? `until ${maxEvents} events`
        : durationS === 0
          ? 'until Ctrl-C'
          : `for ${durationS} s (Ctrl-C stops sooner)`;
    log(`running ${until}: synthetic fleet → producer → Kinesis → hot path (DynamoDB) + delivery (Parquet)`);
    const progress = setInterval(() => {
      const h = pipeline.health();
      if (process.stderr.isTTY) {
        log(
          `produced ${h.produced} (${h.eventsPerS}/s) | hot path ${h.hotPathRecords} records | Parquet ${h.parquetRows} rows in ${h.parquetFiles} files | p95 ${h.p95LatencyMs} ms`,
        );
      }
    }, 2_000);
    let interrupted = false;
    const stopped = await new Promise<Error | undefined>((resolve) => {
      void pipeline.failure().then(resolve);
      const onSigint = () => {
        if (interrupted) process.exit(130); // a second Ctrl-C: give up draining
        interrupted = true;
        log('stopping: draining the stream into windows and Parquet (Ctrl-C again to abandon)…');
        resolve(undefined);
      };
      process.on('SIGINT', onSigint);
      if (maxEvents !== undefined)
        void pipeline.producerDone().then(
          () => resolve(undefined),
          () => {},
        );
      else if (durationS > 0) setTimeout(() => resolve(undefined), durationS * 1000).unref();
    });
    clearInterval(progress);
    if (stopped) {
      // Said first: what is in flight may wait on the part that stopped (a unit of work a
      // source had in flight may wait out its deadline), so it is given 5 s, not waited for.
      log(
        `error: ${stopped.message}. What the stream holds and the lake's saved positions stay in ${dataDir}: run pulse start again on it to resume`,
      );
      setTimeout(() => process.exit(1), 5_000).unref();
      await pipeline.abandon();
      return 1;
    }
    const summary = await pipeline.stop();
    log(
      `produced ${summary.produced}; windowed ${summary.windowed}, late ${summary.late}, quarantined ${summary.quarantined}; ` +
        `${summary.parquet_rows} in the lake (${summary.parquet_files} Parquet files); ${summary.window_writes} window writes (${summary.write_units} write units); ` +
        `p95 ${summary.p95_latency_ms} ms to visible (flush every ${summary.flush_interval_s} s); caught up ${summary.catch_up_s} s after producing stopped; query it: npx pulse query "SELECT …"`,
    );
    log(`SLOs: ${describeSlos(summary.slo)}`);
    if (summary.file_drop_dead_letters > 0) {
      log(
        `file drop: ${summary.file_drop_dead_letters} notification(s) went to the dead-letter queue: their files are under failed/ in s3://pulse-local-drop with the reason; copy them to incoming/ again once fixed`,
      );
    }
    console.log(JSON.stringify(summary));
    // Conservation over everything the stream holds (every run on this data dir).
    const conserved = isConserved(summary);
    if (!conserved)
      log('conservation FAILED: stream events ≠ windowed + late + quarantined, or the lake is missing events');
    return conserved ? 0 : 1;
  } finally {
    await pipeline.close();
  }
}

/** `pulse start`: exit 0 only if every event the stream holds was windowed and is in the lake. */
export const startCommand: Command = {
  name: 'start',
  usage: '  pulse start [options]     run the pipeline locally (see pulse start --help)',
  help: HELP,
  run: start,
};
