/**
 * The `pulse` command line. `npm start` runs `pulse start`.
 *
 *   pulse start [--events N] [--hosts N] [--shards N] [--port N]
 *   pulse schemas check
 */
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// The SDK warns that its releases after January 2027 need Node 22; Lambda runs 22
// already and local mode supports Node 20 until then, so the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { checkFullTransitive, describeIncompatibility } from '#core/contract/compatibility.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { ExecutionParameterError } from '#core/lake/execution-parameters.js';
import { LakeQuery } from '#core/lake/lake-query.js';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GlueClient } from '@aws-sdk/client-glue';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { LocalPipeline } from '#local/pipeline.js';
import { isConserved } from '#local/conservation.js';
import { DEFAULT_FLUSH_INTERVAL_SECONDS } from '#core/projections/held-state.js';
import { STAGE_PATTERN } from '#core/resources.js';
import { awsStatus } from './status-aws.js';
import { positiveInt, seconds, UsageError } from './args.js';
import { collect, COLLECT_HELP } from './collect.js';
import { cost, COST_HELP } from './cost.js';
import { quarantine, QUARANTINE_HELP } from './quarantine.js';
import { REBUILD_HELP, REDRIVE_HELP, rebuildCommand, redriveCommand } from './repair.js';
import { formatTable } from './format-table.js';
import { describeSlos } from '#core/slo/slos.js';
import { DataDirInUseError } from '#local/data-dir-lock.js';

const HELP: Record<string, string> = {
  main: `pulse: streaming pipeline for infrastructure metrics and logs

Usage:
  pulse start [options]     run the pipeline locally (see pulse start --help)
  pulse query <file.sql | "SQL"> [--param V ...] [options]
                            run Athena-dialect SQL on DuckDB over the local lake
  pulse status [--port N]   health of a running pulse start (its dashboard API)
  pulse status --aws --stage NAME
                            a deployed stage: stream, delivery streams, Glue drift
  pulse collect [options]   host agent: this machine's CPU, memory, disk, network → the stream
  pulse quarantine list | show <shard> <position>
                            records the hot path quarantined, with their reasons and bytes
  pulse rebuild --from T --to T [--in-place]
                            re-derive the windows from the stream and compare (or repair)
  pulse redrive               make the hot path's failed batches count, then remove them
  pulse cost --fleet 10000x20/10s
                            monthly AWS bill of a stage per component, beside the seed design
  pulse schemas check       prove every schema version is full-transitive compatible
  pulse --help              this text`,
  start: `pulse start: run the whole pipeline locally. Local servers that speak the AWS APIs
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
  --help            this text`,
  collect: COLLECT_HELP,
  cost: COST_HELP,
  quarantine: QUARANTINE_HELP,
  rebuild: REBUILD_HELP,
  redrive: REDRIVE_HELP,
  query: `pulse query <file.sql | "SQL"> [--param V ...]: run Athena (Trino) SQL locally on DuckDB
over the lake that pulse start wrote (<data-dir>/lake). The bronze tables metric_samples
and log_events, the silver and gold views of analytics-sql/views and the DuckDB shims of
analytics-sql/duckdb/compat.sql are there.

The --param values fill the query's ? in order, as Athena's --execution-parameters do:
each is an Athena literal, a number (2026, 80.5) or a string in single quotes ('staging';
for the shell: --param "'staging'"). They are bound to a prepared statement, never pasted
into the SQL. A file's "-- params:" header names its parameters and their types; a count or
a type that does not fit is refused, saying what the query needs (exit 2).

  pulse query analytics-sql/queries/cpu_by_host_day.sql --param 2026 --param 2 --param 5

Options:
  --param V           the value of the next ? (repeat, one per ?, in order)
  --data-dir D        the data directory of pulse start (default .data)
  --format table|json table on a terminal (default), one JSON object per row for machines
  --help              this text`,
  status: `pulse status [--port N]: print the health counters of a running pulse start
(events in, windowed, delivered, windows written, late, quarantined, latency, lag,
Parquet files and rows), read from its dashboard on 127.0.0.1:N (default 8321).

pulse status --aws --stage NAME [--format json]: a deployed stage (default AWS
credentials and region): the stream's status, open shards and iterator age (last 15
minutes), each delivery stream's status (Firehose), and whether the Glue tables still
have the columns of the .avsc files, naming each drifted column. Exit 1 unless healthy.`,
  schemas: `pulse schemas check: load every schemas/<type>/v<N>.avsc and check that each
version reads data of every other version (full-transitive). Exit 1 naming the
fields of any incompatible pair.`,
};

/** `--flush-interval`: whole seconds 0–900, as Lambda's tumbling window takes them. */
function flushInterval(raw: string | undefined): number {
  const n = positiveInt('flush-interval', raw, DEFAULT_FLUSH_INTERVAL_SECONDS, 0);
  if (n > 900) throw new UsageError(`--flush-interval must be 0–900 seconds (Lambda's tumbling window), got ${n}`);
  return n;
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
    console.log(HELP.start);
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

async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      aws: { type: 'boolean' },
      stage: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP.status);
    return 0;
  }
  if (values.aws) return statusAws(values.stage, values.format ?? 'table');
  const port = positiveInt('port', values.port, 8321);
  let health: Record<string, unknown>;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/health`);
    health = (await res.json()) as Record<string, unknown>;
  } catch {
    throw new UsageError(`no pulse start answers on port ${port}: start one (npx pulse start) or pass --port`);
  }
  // Nested groups (the SLIs) print one row per member: sli.ingestAvailability, …
  const rows = Object.entries(health).flatMap(([name, value]) =>
    value !== null && typeof value === 'object'
      ? Object.entries(value).map(([k, v]) => ({ name: `${name}.${k}`, value: v ?? '—' }))
      : [{ name, value: value ?? '—' }],
  );
  console.log(formatTable(rows));
  return 0;
}

async function statusAws(stage: string | undefined, format: string): Promise<number> {
  if (!stage || !STAGE_PATTERN.test(stage)) {
    throw new UsageError(
      `--aws needs --stage NAME (the stage deployed with cdk deploy -c stage=NAME), got '${stage ?? ''}'`,
    );
  }
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got '${format}'`);
  const s = await awsStatus(
    {
      kinesis: createKinesisClient(),
      cloudwatch: new CloudWatchClient({}),
      firehose: new FirehoseClient({}),
      glue: new GlueClient({}),
    },
    stage,
    SchemaRegistry.load(),
  );
  if (format === 'json') {
    console.log(JSON.stringify(s));
    return s.healthy ? 0 : 1;
  }
  const age = s.stream.iteratorAgeMs === null ? 'no data (15 min)' : `${s.stream.iteratorAgeMs} ms`;
  console.log(
    `stream   ${s.stream.name}  ${s.stream.status}  ${s.stream.openShards} open shards  retention ${s.stream.retentionHours} h  iterator age ${age}`,
  );
  for (const d of s.deliveryStreams) console.log(`delivery ${d.name}  ${d.status}${d.failure ? `  ${d.failure}` : ''}`);
  if (s.drift.length === 0) console.log('glue     the lake tables match the .avsc files');
  for (const d of s.drift) console.log(`DRIFT    ${d.message}`);
  return s.healthy ? 0 : 1;
}

async function query(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      param: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP.query);
    return 0;
  }
  const text = positionals.join(' ').trim();
  if (!text)
    throw new UsageError(
      'query needs a .sql file or SQL text: pulse query "SELECT count(*) FROM silver_metric_samples"',
    );
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got '${format}'`);
  const sql = text.endsWith('.sql') ? readSqlFile(text) : text;
  const lake = await LakeQuery.open(SchemaRegistry.load(), join(values['data-dir'] ?? '.data', 'lake'));
  try {
    const rows = await lake.query(sql, values.param ?? []).catch((error: unknown) => {
      throw error instanceof ExecutionParameterError ? new UsageError(error.message) : error;
    });
    if (format === 'json') for (const r of rows) console.log(JSON.stringify(r));
    else console.log(formatTable(rows));
    return 0;
  } finally {
    lake.close();
  }
}

function readSqlFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}: give a path to a .sql file or the SQL text itself`);
  }
}

function schemas(args: string[]): number {
  if (args[0] !== 'check' || args.includes('--help')) {
    console.log(HELP.schemas);
    return args.includes('--help') ? 0 : 2;
  }
  const registry = SchemaRegistry.load();
  const problems = checkFullTransitive(registry);
  for (const v of registry.all()) console.log(`${v.name} v${v.version}  0x${v.fingerprintHex}  ${v.file}`);
  for (const p of problems) console.error(`INCOMPATIBLE: ${describeIncompatibility(p)}`);
  const pairs = registry.all().reduce((n, v) => n + registry.versions(v.name).length - 1, 0);
  console.log(
    problems.length === 0
      ? `ok: ${pairs} writer/reader pairs are compatible`
      : `${problems.length} incompatible pair(s)`,
  );
  return problems.length === 0 ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'schemas':
      return schemas(rest);
    case 'query':
      return query(rest);
    case 'status':
      return status(rest);
    case 'collect':
      return collect(rest);
    case 'cost':
      return cost(rest);
    case 'quarantine':
      return quarantine(rest);
    case 'rebuild':
      return rebuildCommand(rest);
    case 'redrive':
      return redriveCommand(rest);
    case undefined:
    case '--help':
    case 'help':
      console.log(HELP.main);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}': run 'pulse --help'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      error instanceof DataDirInUseError ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      console.error(`pulse: ${(error as Error).message}`);
      process.exitCode = 2;
    } else {
      console.error(`pulse: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  },
);
