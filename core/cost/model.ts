/**
 * The monthly AWS cost of a Pulse stage at a steady event rate, per component and
 * per million events, from figures measured by local runs (what one event costs in
 * requests and bytes) and the dated price list `prices-2026-11.json`; beside it the
 * same for a per-event design (one PutItem and one small JSON object per event),
 * the shape of the pipelines Pulse replaces.
 *
 * The model is arithmetic over named assumptions, each printed with the result.
 */
import { readFileSync } from 'node:fs';

/** The price list (see the JSON file for units and sources). */
export interface Prices {
  as_of: string;
  region: string;
  kinesis: Record<
    | 'on_demand_stream_hour'
    | 'on_demand_ingest_per_gb'
    | 'on_demand_retrieval_per_gb'
    | 'provisioned_shard_hour'
    | 'provisioned_put_units_per_million',
    number
  >;
  lambda: Record<'arm_per_gb_second' | 'requests_per_million', number>;
  dynamodb: Record<'on_demand_write_units_per_million' | 'on_demand_read_units_per_million', number>;
  firehose: Record<
    | 'ingest_per_gb'
    | 'format_conversion_per_gb'
    | 'dynamic_partitioning_per_gb'
    | 'dynamic_partitioning_per_1000_objects',
    number
  >;
  s3: Record<'put_per_1000' | 'standard_per_gb_month', number>;
}

/** Loads the dated price list kept beside this module. */
export function loadPrices(): Prices {
  return JSON.parse(readFileSync(new URL('./prices-2026-11.json', import.meta.url), 'utf8')) as Prices;
}

/** What one event costs in requests and bytes, measured by a local run (`pulse start` writes them). */
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

/** The deployed shape that changes the bill (defaults: the CDK app's defaults). */
export interface StackShape {
  /** Hot-path memory, MB (default 1024). */
  hotPathMemoryMb: number;
  /** Transform memory, MB (default 512). */
  transformMemoryMb: number;
  /** Event types with their own delivery stream (default 2). */
  deliveryStreams: number;
  /** Firehose buffer interval, s (default 300): one Parquet object per stream, partition and interval. */
  bufferIntervalSeconds: number;
  /** Consumers reading the stream with shared throughput (default 2: hot path and Firehose). */
  streamConsumers: number;
}

/** Defaults of {@link StackShape}. */
export const STACK_DEFAULTS: Readonly<StackShape> = Object.freeze({
  hotPathMemoryMb: 1_024,
  transformMemoryMb: 512,
  deliveryStreams: 2,
  bufferIntervalSeconds: 300,
  streamConsumers: 2,
});

/** One line of the bill. */
export interface CostLine {
  component: string;
  monthly: number;
  perMillionEvents: number;
  /** How it was computed, in words. */
  basis: string;
}

/** The bill of both designs. */
export interface CostReport {
  eventsPerSecond: number;
  eventsPerMonth: number;
  pulse: CostLine[];
  pulseTotal: number;
  perEvent: CostLine[];
  perEventTotal: number;
  pricesAsOf: string;
  measured: Measured;
}

const HOURS_PER_MONTH = 730;
const GB = 1e9;

/**
 * The bill at `eventsPerSecond`, steady, for a month of 730 hours.
 * @throws RangeError for a rate that is not a positive number
 */
export function costReport(
  eventsPerSecond: number,
  measured: Measured,
  prices: Prices,
  shape: StackShape = STACK_DEFAULTS,
): CostReport {
  if (!(eventsPerSecond > 0) || !Number.isFinite(eventsPerSecond)) {
    throw new RangeError(`events per second must be a positive number, got ${eventsPerSecond}`);
  }
  const events = eventsPerSecond * 3_600 * HOURS_PER_MONTH;
  const line = (component: string, monthly: number, basis: string): CostLine => ({
    component,
    monthly,
    perMillionEvents: (monthly / events) * 1e6,
    basis,
  });
  const streamGb = (events * measured.streamBytesPerEvent) / GB;
  const records = events / measured.eventsPerRecord;
  // On-demand bills data in at least 1 KB per record; aggregated records are far larger.
  const ingestGb = Math.max(streamGb, (records * 1_024) / GB);
  const k = prices.kinesis;
  const kinesis = line(
    'Kinesis (on-demand)',
    HOURS_PER_MONTH * k.on_demand_stream_hour +
      ingestGb * k.on_demand_ingest_per_gb +
      ingestGb * shape.streamConsumers * k.on_demand_retrieval_per_gb,
    `${round(measured.eventsPerRecord)} events per record, ${round(measured.streamBytesPerEvent)} B per event, ${shape.streamConsumers} readers`,
  );
  const gbSeconds = (ms: number, mb: number) => (ms / 1_000) * (mb / 1_024);
  const l = prices.lambda;
  // One invocation per shard per second (1 s batching window) on the 4 shards on-demand starts with.
  const hotInvocations = 4 * 3_600 * HOURS_PER_MONTH;
  const hotPath = line(
    'Lambda hot path',
    gbSeconds((events / 1_000) * measured.hotPathMsPer1000, shape.hotPathMemoryMb) * l.arm_per_gb_second +
      (hotInvocations / 1e6) * l.requests_per_million,
    `${round(measured.hotPathMsPer1000)} ms per 1,000 events at ${shape.hotPathMemoryMb} MB, 4 shards × 1 invocation/s`,
  );
  const d = prices.dynamodb;
  const writeUnits = events * measured.windowWritesPerEvent * Math.ceil(measured.windowItemKb);
  // Read-modify-write: each write reads its item first (strongly consistent, one unit per 4 KB).
  const readUnits = events * measured.windowWritesPerEvent * Math.ceil(measured.windowItemKb / 4);
  const dynamo = line(
    'DynamoDB windows (on-demand)',
    (writeUnits / 1e6) * d.on_demand_write_units_per_million + (readUnits / 1e6) * d.on_demand_read_units_per_million,
    `${round(measured.windowWritesPerEvent * 1_000)} writes per 1,000 events of ${round(measured.windowItemKb)} KB items, each read first`,
  );
  const f = prices.firehose;
  const objects = shape.deliveryStreams * ((HOURS_PER_MONTH * 3_600) / shape.bufferIntervalSeconds);
  const firehose = line(
    'Firehose (Parquet, dynamic partitioning)',
    streamGb * (f.ingest_per_gb + f.format_conversion_per_gb + f.dynamic_partitioning_per_gb) +
      (objects / 1_000) * f.dynamic_partitioning_per_1000_objects,
    `${round(streamGb)} GB through ${shape.deliveryStreams} streams, an object per stream every ${shape.bufferIntervalSeconds} s`,
  );
  const transform = line(
    'Lambda Firehose transform',
    gbSeconds((events / 1_000) * measured.transformMsPer1000, shape.transformMemoryMb) * l.arm_per_gb_second +
      ((objects * 5) / 1e6) * l.requests_per_million,
    `${round(measured.transformMsPer1000)} ms per 1,000 events at ${shape.transformMemoryMb} MB`,
  );
  const s = prices.s3;
  const lakeGb = (events * measured.parquetBytesPerEvent) / GB;
  const lake = line(
    'S3 lake (first month)',
    (objects / 1_000) * s.put_per_1000 + lakeGb * s.standard_per_gb_month,
    `${round(measured.parquetBytesPerEvent)} B of Parquet per event`,
  );
  const pulse = [kinesis, hotPath, dynamo, firehose, transform, lake];

  // The per-event design: same stream and hot-path compute, but one 1 KB PutItem and
  // one small JSON object (≈ 340 B, bench:lake's NDJSON) per event.
  const perEvent = [
    line('Kinesis (on-demand)', kinesis.monthly, 'as Pulse'),
    line('Lambda hot path', hotPath.monthly, 'as Pulse'),
    line(
      'DynamoDB, one PutItem per event',
      (events / 1e6) * d.on_demand_write_units_per_million,
      '1 write unit per event',
    ),
    line(
      'S3, one JSON object per event',
      (events / 1_000) * s.put_per_1000 + ((events * 340) / GB) * s.standard_per_gb_month,
      '1 PUT per event, 340 B each',
    ),
  ];
  const sum = (ls: CostLine[]) => ls.reduce((n, x) => n + x.monthly, 0);
  return {
    eventsPerSecond,
    eventsPerMonth: events,
    pulse,
    pulseTotal: sum(pulse),
    perEvent,
    perEventTotal: sum(perEvent),
    pricesAsOf: prices.as_of,
    measured,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
