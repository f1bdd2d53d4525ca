/**
 * Re-measures core/cost/reference-fleet.json, the figures `pulse cost` prices by default:
 * runs bench:fleet over shapes A–D (about 15 minutes; or reads a finished run's output with
 * `--fleet-output FILE`), bench:lake for each shape's one-buffer-interval object, and
 * bench:seed-baseline; writes the file with the date, the commit, the machine and the
 * commands. Run it on a quiet machine: the CPU figures are wall time of one core.
 *
 *   npm run bench:cost-reference [-- --fleet-output /tmp/fleet.out]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { ReferenceFile, SeedFigures, ShapeFigures } from '#core/cost/reference.js';

const { values } = parseArgs({ options: { 'fleet-output': { type: 'string' } } });
const FLEET = 'npm run bench:fleet -- --shapes A,B,C,D';
const root = new URL('../', import.meta.url);

/** The last line of a bench's stdout, parsed. */
function lastJson<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as T;
}
function bench(script: string, args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1_048_576,
  });
}

interface FleetRow {
  name: string;
  hosts: number;
  metrics: number;
  interval_s: number;
  shards: number;
  events_per_record: number;
  stream_bytes_per_event: number;
  record_bytes: number;
  event_bytes: number;
  finest_window_item_bytes: number;
  held: Record<string, number>;
  per_batch: Record<string, number>;
}

const fleetOut = values['fleet-output'] ? readFileSync(values['fleet-output'], 'utf8') : bench('bench/fleet.ts', []);
const fleet = lastJson<{ shapes: FleetRow[] }>(fleetOut);
const shapes: ShapeFigures[] = fleet.shapes.map((s) => {
  const shape = `${s.hosts}x${s.metrics}/${s.interval_s}s`;
  const lake = lastJson<Record<string, number>>(bench('bench/lake.ts', ['--shape', shape]));
  const h = s.held;
  const n = (k: string) => h[k] as number;
  return {
    name: s.name,
    hosts: s.hosts,
    metrics: s.metrics,
    interval_s: s.interval_s,
    shards: s.shards,
    write_units_per_event: n('write_units_per_event'),
    checkpoint_write_units_per_event: n('checkpoint_write_units_per_event'),
    read_units_per_event: n('read_units_per_event'),
    writes_per_event: n('writes_per_event'),
    hot_path_ms_per_1000: Math.round((1e6 / n('hot_path_events_per_cpu_s')) * 1_000) / 1_000,
    max_state_bytes: n('max_state_bytes'),
    emf_bytes_per_invocation: n('emf_bytes_per_invocation'),
    log_bytes_per_invocation: n('log_bytes_per_invocation'),
    custom_metrics: n('custom_metrics'),
    events_per_record: s.events_per_record,
    stream_bytes_per_event: s.stream_bytes_per_event,
    record_bytes: s.record_bytes,
    event_bytes: s.event_bytes,
    finest_window_item_bytes: s.finest_window_item_bytes,
    parquet_bytes_per_event: lake.parquet_bytes_per_event as number,
    ndjson_bytes_per_event: lake.ndjson_bytes_per_event as number,
    gold_scan_bytes_per_event: lake.gold_scan_bytes_per_event as number,
    transform_ms_per_1000: lake.transform_ms_per_1000 as number,
    drop_ms_per_1000: lake.drop_ms_per_1000 as number,
    p95_visible_ms: n('p95_visible_ms'),
  };
});
const seed = lastJson<SeedFigures & { bench: string; samples: number }>(bench('bench/seed-baseline.ts', []));
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const dirty = execFileSync('git', ['status', '--porcelain', '--', 'bench', 'core', 'handlers'], {
  cwd: root,
  encoding: 'utf8',
}).trim();

const reference: ReferenceFile = {
  measured_on: new Date().toISOString().slice(0, 10),
  commit: dirty ? `${commit} with uncommitted changes in bench/, core/ or handlers/` : commit,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`,
  commands: {
    fleet: values['fleet-output'] ? `${FLEET} (its output read from a file)` : FLEET,
    lake: 'npm run bench:lake -- --shape <hosts>x<metrics>/<interval>s (one per shape)',
    seed_baseline: 'npm run bench:seed-baseline',
    this_file: 'npm run bench:cost-reference',
  },
  sources: {
    'write_units_per_event, checkpoint_write_units_per_event, read_units_per_event, writes_per_event, max_state_bytes, p95_visible_ms':
      'bench:fleet, held state (60 s flush, the default), in-memory DynamoDB counting billed units',
    hot_path_ms_per_1000:
      "bench:fleet: 1e6 / hot_path_events_per_cpu_s (the handler's wall time on one core, EMF and logs included)",
    'emf_bytes_per_invocation, log_bytes_per_invocation, custom_metrics':
      "bench:fleet: the handler's stdout (Powertools EMF and INFO log lines) counted per invocation, fleet metrics off",
    'events_per_record, stream_bytes_per_event, record_bytes, event_bytes':
      "bench:fleet: one KPL aggregate per host and tick, as the producer makes it for an agent's put of all its metrics",
    finest_window_item_bytes: "bench:fleet: the window table's host-minute items after the run, DynamoDB's size rules",
    'parquet_bytes_per_event, ndjson_bytes_per_event, gold_scan_bytes_per_event, transform_ms_per_1000, drop_ms_per_1000':
      "bench:lake --shape: one Parquet object of a 300 s buffer's events (at most 200,000) written by DuckDB, not Firehose's writer; the gold scan is the compressed column chunks the gold check reads",
    seed_baseline: 'bench:seed-baseline: the AWS SDK answered by a stub, CPU per sample',
  },
  notes: [
    'CPU figures are one core of the machine above, shared with other work: runs vary by up to 2x. Lambda arm64 cores are assumed as fast.',
    'Shape A runs few, tiny batches: its CPU per event is mostly per-invocation overhead of a process that is not warm.',
  ],
  shapes,
  seed_baseline: {
    cpu_ms_per_1000_samples: seed.cpu_ms_per_1000_samples,
    item_bytes: seed.item_bytes,
    json_bytes_per_sample: seed.json_bytes_per_sample,
  },
};
writeFileSync(new URL('core/cost/reference-fleet.json', root), `${JSON.stringify(reference, null, 2)}\n`);
process.stderr.write(`wrote core/cost/reference-fleet.json (${shapes.length} shapes)\n`);
