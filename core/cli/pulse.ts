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

import { checkFullTransitive, describeIncompatibility } from '../contract/compatibility.js';
import { SchemaRegistry } from '../contract/registry.js';
import { LakeQuery } from '../lake/lake-query.js';
import { runQuickstart } from '../local/quickstart.js';

const HELP: Record<string, string> = {
  main: `pulse: streaming pipeline for infrastructure metrics and logs

Usage:
  pulse start [options]     run the pipeline locally (see pulse start --help)
  pulse query <file.sql | "SQL"> [options]
                            run Athena-dialect SQL on DuckDB over the local lake
  pulse schemas check       prove every schema version is full-transitive compatible
  pulse --help              this text`,
  start: `pulse start: start a local Kinesis server, produce the synthetic fleet through the
producer, read every shard back with the consumer API, then run the hot path (the real
handler behind a local event source mapping) into a local DynamoDB and print the counts.
Exit 0 only if every event was read back once and produced = windowed + late + quarantined.
The last line of output is one JSON summary.

Options:
  --events N   events to produce, at least (default 5000)
  --hosts N    hosts in the synthetic fleet, server-001… (default 10)
  --shards N   shards of the local stream (default 4)
  --port N     port of the local Kinesis server (default: any free port)
  --data-dir D where the local S3 and the lake cache live (default .data)
  --help       this text`,
  query: `pulse query <file.sql | "SQL">: run Athena (Trino) SQL locally on DuckDB over the
lake that pulse start wrote (<data-dir>/lake). The bronze tables metric_samples and
log_events, the silver and gold views of analytics-sql/views and the DuckDB shims of
analytics-sql/duckdb/compat.sql are there.

Options:
  --data-dir D        the data directory of pulse start (default .data)
  --format table|json table on a terminal (default), one JSON object per row for machines
  --help              this text`,
  schemas: `pulse schemas check: load every schemas/<type>/v<N>.avsc and check that each
version reads data of every other version (full-transitive). Exit 1 naming the
fields of any incompatible pair.`,
};

/** A command-line mistake: printed without a stack trace, exit code 2. */
class UsageError extends Error {}

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string' },
      hosts: { type: 'string' },
      shards: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP.start);
    return 0;
  }
  const registry = SchemaRegistry.load();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const summary = await runQuickstart({
    registry,
    events: positiveInt('events', values.events, 5_000),
    hosts: positiveInt('hosts', values.hosts, 10),
    shards: positiveInt('shards', values.shards, 4),
    port: positiveInt('port', values.port, 0, 0),
    dataDir: writableDir(values['data-dir'] ?? '.data'),
    log,
  });
  log(
    `consumed ${summary.consumed} of ${summary.produced} events (${summary.metric_samples} metric samples, ${summary.log_events} log events) from ${summary.hosts} hosts; poison ${summary.poison}, duplicates ${summary.duplicates}, out of order ${summary.out_of_order}`,
  );
  console.log(JSON.stringify(summary));
  const ok =
    summary.consumed === summary.produced &&
    summary.poison + summary.duplicates + summary.out_of_order === 0 &&
    summary.windowed + summary.late + summary.quarantined === summary.produced &&
    summary.parquet_rows === summary.produced;
  return ok ? 0 : 1;
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

async function query(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean' } },
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
    const rows = await lake.query(sql);
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

/** A plain text table: header, rule, rows; numbers right-aligned. */
export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(0 rows)';
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: unknown) =>
    v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const numeric = cols.map((c) => rows.every((r) => r[c] === null || !Number.isNaN(Number(r[c]))));
  const line = (vals: string[]) =>
    vals.map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ');
  return [
    line(cols),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
    `(${rows.length} rows)`,
  ].join('\n');
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
    if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`pulse: ${(error as Error).message}`);
      process.exitCode = 2;
    } else {
      console.error(`pulse: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  },
);
