/**
 * The measured figures the cost model prices: what one event costs in requests, bytes and
 * CPU at each fleet shape `bench:fleet` and `bench:lake` measured, kept in the committed
 * reference-fleet.json (how to re-measure it: docs/cost.md); the choice of the measured
 * shape nearest to a fleet; and the figures of a local run (`pulse start`'s measured.json),
 * used only when asked for (`pulse cost --measured <data-dir>`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventsPerHostMinute, type FleetShape, formatFleetShape } from './fleet-shape.js';

/** What one event costs at one measured fleet shape (field names as the JSON file has them). */
export interface ShapeFigures {
  /** bench:fleet's name of the shape (A–D), or where the figures come from. */
  name: string;
  hosts: number;
  metrics: number;
  interval_s: number;
  /** Shards the bench ran the shape on. */
  shards: number;
  /** DynamoDB write units per event with held state (60 s flush): window items, checkpoints, side outputs. */
  write_units_per_event: number;
  /** Of which the shard checkpoints. */
  checkpoint_write_units_per_event: number;
  /** DynamoDB read units per event (strongly consistent, 4 KB each). */
  read_units_per_event: number;
  /** Write requests per event (each waits for DynamoDB). */
  writes_per_event: number;
  /** Hot-path handler CPU per 1,000 events, ms (from bench:fleet's events per CPU second). */
  hot_path_ms_per_1000: number;
  /** Largest held state of one shard, bytes (Lambda keeps at most 1 MB). */
  max_state_bytes: number;
  /** EMF bytes and log bytes the hot path prints per invocation. */
  emf_bytes_per_invocation: number;
  log_bytes_per_invocation: number;
  /** Distinct custom metrics the hot path's EMF defines (fleet metrics off). */
  custom_metrics: number;
  /** Events per Kinesis record (one KPL aggregate per host and tick). */
  events_per_record: number;
  /** Aggregated record bytes per event on the stream. */
  stream_bytes_per_event: number;
  /** Mean bytes of one aggregated record. */
  record_bytes: number;
  /** Mean bytes of one single-object event (a de-aggregated record). */
  event_bytes: number;
  /** Mean size of a host's finest-window item by DynamoDB's rules. */
  finest_window_item_bytes: number;
  /** Parquet bytes per event in one object of a buffer interval's events (bench:lake --shape). */
  parquet_bytes_per_event: number;
  /** JSON bytes per event the transform hands Firehose for conversion. */
  ndjson_bytes_per_event: number;
  /** Compressed Parquet bytes per event the daily gold check reads. */
  gold_scan_bytes_per_event: number;
  /** Transform CPU per 1,000 events of its type, ms, and per 1,000 events of the other type (dropped). */
  transform_ms_per_1000: number;
  drop_ms_per_1000: number;
  /** Time from a record's arrival to its windows written, p95, ms (not priced; shown). */
  p95_visible_ms: number;
}

/** The seed design's Lambda, measured by `bench:seed-baseline`. */
export interface SeedFigures {
  /** CPU per 1,000 samples through the AWS SDK (one item each, 25 per BatchWriteItem), ms. */
  cpu_ms_per_1000_samples: number;
  /** DynamoDB's size of one sample item. */
  item_bytes: number;
  /** JSON bytes per sample in the file written to S3 per invocation. */
  json_bytes_per_sample: number;
}

/** The committed reference file. */
export interface ReferenceFile {
  measured_on: string;
  commit: string;
  machine: string;
  commands: Record<string, string>;
  /** Where each figure comes from, by field. */
  sources: Record<string, string>;
  notes: string[];
  shapes: ShapeFigures[];
  seed_baseline: SeedFigures;
}

/** Loads core/cost/reference-fleet.json. */
export function loadReference(): ReferenceFile {
  return JSON.parse(readFileSync(new URL('./reference-fleet.json', import.meta.url), 'utf8')) as ReferenceFile;
}

/** Which measured figures price a fleet, and how well they fit it. */
export interface ShapeChoice {
  figures: ShapeFigures;
  /** The shape the figures were measured at. */
  measured: FleetShape;
  /** True when the fleet is exactly the measured shape. */
  exact: boolean;
  /** One sentence for the report. */
  note: string;
}

const shapeOf = (f: ShapeFigures): FleetShape => ({
  hosts: f.hosts,
  metrics: f.metrics,
  intervalSeconds: f.interval_s,
});

/**
 * How far a measured shape is from a fleet: |log10| of the ratio of events per host per
 * minute, weighted twice (window writes per event follow it: about one write per host and
 * minute), plus |log10| of the ratio of hosts (checkpoint size and shards follow it).
 */
export function shapeDistance(fleet: FleetShape, measured: FleetShape): number {
  const ratio = (a: number, b: number) => Math.abs(Math.log10(a / b));
  return 2 * ratio(eventsPerHostMinute(fleet), eventsPerHostMinute(measured)) + ratio(fleet.hosts, measured.hosts);
}

/**
 * The measured shape nearest to `fleet` by {@link shapeDistance} (the first of equals).
 * For another shape, what follows from the fleet's own shape by construction is adapted:
 * one record per host and tick (events per record = metrics, record bytes in proportion),
 * item bytes in proportion to metrics per host, held state in proportion to hosts × metrics.
 * @throws Error if the reference has no shapes
 */
export function chooseShape(fleet: FleetShape, shapes: readonly ShapeFigures[]): ShapeChoice {
  let best: ShapeFigures | undefined;
  let bestDistance = Infinity;
  for (const s of shapes) {
    const d = shapeDistance(fleet, shapeOf(s));
    if (d < bestDistance) [best, bestDistance] = [s, d];
  }
  if (!best) throw new Error('the reference file lists no measured shapes: run npm run bench:cost-reference');
  const measured = shapeOf(best);
  const exact =
    fleet.hosts === best.hosts && fleet.metrics === best.metrics && fleet.intervalSeconds === best.interval_s;
  if (exact) {
    return {
      figures: best,
      measured,
      exact,
      note: `measured shape ${best.name} (${formatFleetShape(measured)}): exact`,
    };
  }
  const m = fleet.metrics / best.metrics;
  const figures: ShapeFigures = {
    ...best,
    events_per_record: fleet.metrics,
    record_bytes: Math.round(best.record_bytes * (fleet.metrics / best.events_per_record)),
    finest_window_item_bytes: Math.round(best.finest_window_item_bytes * m),
    max_state_bytes: Math.round(best.max_state_bytes * ((fleet.hosts * fleet.metrics) / (best.hosts * best.metrics))),
  };
  return {
    figures,
    measured,
    exact,
    note:
      `approximation: per-event figures of the nearest measured shape ${best.name} (${formatFleetShape(measured)}; ` +
      `${round2(eventsPerHostMinute(measured))} vs ${round2(eventsPerHostMinute(fleet))} events per host-minute, ` +
      `${best.hosts} vs ${fleet.hosts} hosts)`,
  };
}

/** What a local run measured (`<data-dir>/measured.json`, written when `pulse start` stops). */
export interface Measured {
  /** Where the figures come from. */
  source: string;
  /** Events per Kinesis record (KPL aggregation). */
  eventsPerRecord: number;
  /** Bytes per event on the stream (Avro single-object, aggregated). */
  streamBytesPerEvent: number;
  /** DynamoDB window writes per event (one per distinct window item per batch). */
  windowWritesPerEvent: number;
  /** Mean size of a window item, KB (a write costs one unit per started KB). */
  windowItemKb: number;
  /** Parquet bytes per event in the lake. */
  parquetBytesPerEvent: number;
  /** Hot-path handler time per 1,000 events, ms. */
  hotPathMsPer1000: number;
  /** Firehose transform time per 1,000 events, ms. */
  transformMsPer1000: number;
}

/** A local run's figures could not be read. */
export class MeasuredFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeasuredFileError';
  }
}

/**
 * Reads `<dataDir>/measured.json`.
 * @throws MeasuredFileError naming the file and what to do
 */
export function readMeasured(dataDir: string): Measured {
  const file = join(dataDir, 'measured.json');
  if (!existsSync(file)) {
    throw new MeasuredFileError(`${file} does not exist: run pulse start --data-dir ${dataDir} and stop it first`);
  }
  const m = JSON.parse(readFileSync(file, 'utf8')) as Partial<Measured>;
  for (const k of [
    'eventsPerRecord',
    'streamBytesPerEvent',
    'windowWritesPerEvent',
    'windowItemKb',
    'parquetBytesPerEvent',
    'hotPathMsPer1000',
    'transformMsPer1000',
  ] as const) {
    if (typeof m[k] !== 'number' || !(m[k] >= 0)) {
      throw new MeasuredFileError(`${file} has no number ${k}: it is not a measured.json of pulse start`);
    }
  }
  return m as Measured;
}

/**
 * A local run's figures in place of a shape's measured ones: what the run measured replaces
 * them (stream, window writes, Parquet, handler and transform times); what it does not
 * measure (checkpoints, reads, state, EMF, item bytes, JSON and gold-scan bytes) stays the
 * nearest shape's, as `kept` lists.
 */
export function localRunFigures(m: Measured, nearest: ShapeChoice): { choice: ShapeChoice; kept: string[] } {
  const base = nearest.figures;
  const figures: ShapeFigures = {
    ...base,
    name: `local run (${m.source})`,
    write_units_per_event: m.windowWritesPerEvent * Math.max(1, Math.ceil(m.windowItemKb)),
    checkpoint_write_units_per_event: 0,
    writes_per_event: m.windowWritesPerEvent,
    events_per_record: m.eventsPerRecord,
    stream_bytes_per_event: m.streamBytesPerEvent,
    record_bytes: Math.round(m.eventsPerRecord * m.streamBytesPerEvent),
    parquet_bytes_per_event: m.parquetBytesPerEvent,
    hot_path_ms_per_1000: m.hotPathMsPer1000,
    transform_ms_per_1000: m.transformMsPer1000,
  };
  const kept = [
    'read_units_per_event',
    'max_state_bytes',
    'emf_bytes_per_invocation',
    'log_bytes_per_invocation',
    'custom_metrics',
    'event_bytes',
    'finest_window_item_bytes',
    'ndjson_bytes_per_event',
    'gold_scan_bytes_per_event',
    'drop_ms_per_1000',
  ];
  return {
    choice: {
      figures,
      measured: nearest.measured,
      exact: false,
      note: `local run figures (${m.source}); checkpoint writes not measured by a local run (0); ${kept.length} other figures of measured shape ${base.name}`,
    },
    kept,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
