/**
 * Lake benchmark, one core: bytes per event as Parquet (Snappy, dictionary, the
 * lake columns) vs NDJSON (what Firehose would land without conversion) for the
 * same events, and write throughput of transform + Parquet. Ends with one JSON line.
 *
 * With `--shape <hosts>x<metrics>/<interval>` (bench:fleet's shapes, e.g. 10x5/300s)
 * the events are that fleet's, one Parquet file holds what one Firehose buffer interval
 * (`--buffer-s`, default 300, as the lake deploys) delivers, at most `--events`: small
 * fleets make small files, whose footer weighs on every event. It also times the
 * transform alone (what the transform Lambda does; Firehose converts to Parquet) and the
 * other delivery stream's transform, which drops these events by their fingerprint.
 *
 *   npm run bench:lake [-- --events 200000] [-- --shape 10000x20/10s]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventId } from '#core/contract/events.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { WriterVersions } from '#core/contract/writer-versions.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { parseFleetShape } from '#core/cost/fleet-shape.js';
import { lakeColumns } from '#core/lake/columns.js';
import { rowsToParquet } from '#core/lake/parquet.js';
import { type FirehoseInputRecord, LakeTransform } from '#core/lake/transform.js';
import { seededRandom, SyntheticFleet } from '#core/sources/synthetic-fleet.js';
import { fleetSample } from './lib/metric-names.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    shape: { type: 'string' },
    'buffer-s': { type: 'string', default: '300' },
  },
});
const shape = values.shape === undefined ? undefined : parseFleetShape(values.shape);
const bufferS = Number(values['buffer-s']);
const N = shape
  ? Math.max(
      1,
      Math.min(Number(values.events), Math.round((shape.hosts * shape.metrics * bufferS) / shape.intervalSeconds)),
    )
  : Number(values.events);
const registry = SchemaRegistry.load();
const writer = new WriterVersions(registry).of('MetricSample', {}); // what producers write a plain sample with
const encoder = new SingleObjectEncoder();
const fleet = new SyntheticFleet({ hosts: 50 });
const start = Date.UTC(2026, 10, 22, 0, 0);
const producerId = 'b8a4f2f6-5a0e-4bd6-9d1f-4c4f5a3d2e11';
const inputs: FirehoseInputRecord[] = [];
/** Without --shape: events per KPL aggregate of an old local reference run (pulse start, 50 hosts, 4 shards). */
const PER_RECORD = 123;
const SHARDS = 4;

/** A Firehose input record of the `seq`th event, arrived 1.5 s after `at`. */
function input(seq: number, bytes: Buffer, host: string, at: number, perRecord: number): FirehoseInputRecord {
  return {
    recordId: String(seq),
    approximateArrivalTimestamp: at + 1_500,
    data: bytes.toString('base64'),
    kinesisRecordMetadata: {
      shardId: `shardId-00000000000${Math.floor(seq / perRecord) % SHARDS}`,
      partitionKey: host,
      approximateArrivalTimestamp: at + 1_500,
      // 56 decimal digits, as Kinesis writes them; one per aggregate
      sequenceNumber: (
        49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000n +
        BigInt(Math.floor(seq / perRecord)) * 1_000_000_000n
      )
        .toString()
        .padEnd(56, '0'),
      subsequenceNumber: seq % perRecord,
    },
  };
}

if (shape) {
  // As bench:fleet's agents: each host samples all its metrics at its own phase of the interval.
  const random = seededRandom(15);
  const intervalMs = shape.intervalSeconds * 1_000;
  const ticks: [number, number][] = [];
  for (let h = 0; h < shape.hosts; h++) {
    for (let t = Math.floor(random() * intervalMs); t < bufferS * 1_000; t += intervalMs) ticks.push([t, h]);
  }
  ticks.sort((a, b) => a[0] - b[0]);
  const seqOf = new Map<number, number>();
  for (const [t, h] of ticks) {
    const host = `host-${String(h + 1).padStart(5, '0')}`;
    const producer = `agent-${host}`;
    for (let m = 0; m < shape.metrics && inputs.length < N; m++) {
      const seq = (seqOf.get(h) ?? 0) + 1;
      seqOf.set(h, seq);
      const bytes = encoder.encode(writer, fleetSample(producer, seq, host, m, start + t, random));
      inputs.push(input(inputs.length + 1, bytes, host, start + t, shape.metrics));
    }
    if (inputs.length >= N) break;
  }
} else {
  for (let t = 0; inputs.length < N; t++) {
    for (const m of fleet.tick(new Date(start + t * 10_000)).metrics) {
      const seq = inputs.length + 1;
      const bytes = encoder.encode(writer, {
        event_id: eventId(producerId, seq),
        producer_id: producerId,
        producer_seq: seq,
        ...m,
      });
      inputs.push(input(seq, bytes, m.host, start + t * 10_000, PER_RECORD));
      if (inputs.length === N) break;
    }
  }
}

const transform = new LakeTransform(registry, 'MetricSample');
const duck = await (await DuckDBInstance.create(':memory:')).connect();
const columns = lakeColumns(registry, 'MetricSample');

const t0 = process.hrtime.bigint();
const out = transform.transform(inputs);
const rows = out.map((o) => JSON.parse(Buffer.from(o.data, 'base64').toString('utf8')) as Record<string, unknown>);
const ndjsonBytes = out.reduce((n, o) => n + Buffer.from(o.data, 'base64').length, 0);
const parquet = await rowsToParquet(duck, columns, rows);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const avroBytes = inputs.reduce((n, i) => n + Buffer.from(i.data, 'base64').length, 0);

// The transform alone, then the logs stream's transform, which drops every metric sample.
const timed = (run: () => unknown): number => {
  run(); // warm
  // Repeated for at least 200 ms: one small fleet's file is over in microseconds.
  let runs = 0;
  const t = process.hrtime.bigint();
  do {
    run();
    runs++;
  } while (Number(process.hrtime.bigint() - t) < 2e8);
  return Number(process.hrtime.bigint() - t) / 1e6 / runs;
};
const transformMs = timed(() => transform.transform(inputs));
const dropper = new LakeTransform(registry, 'LogEvent');
const dropMs = timed(() => dropper.transform(inputs));

// The columns the daily gold check reads of metric_samples (analytics-sql/workflow/gold_row_counts.sql
// through the silver and gold views: dedup keys and order, then the rollups' group keys), assuming
// Athena prunes the columns a view selects but the query does not use.
const GOLD_SCAN_COLUMNS = ['producer_id', 'producer_seq', 'arrived_at', 'occurred_at', 'host', 'metric'];
const dir = mkdtempSync(join(tmpdir(), 'bench-lake-'));
const file = join(dir, 'object.parquet');
writeFileSync(file, parquet);
const chunks = await duck.runAndReadAll(
  `SELECT path_in_schema AS name, sum(total_compressed_size)::BIGINT AS bytes FROM parquet_metadata('${file}') GROUP BY 1`,
);
rmSync(dir, { recursive: true, force: true });
const columnBytes = Object.fromEntries(
  chunks.getRowObjects().map((r) => [String(r.name), Math.round((Number(r.bytes) / N) * 100) / 100]),
);
const goldScanBytes = GOLD_SCAN_COLUMNS.reduce((n, c) => n + (columnBytes[c] ?? 0), 0);

const figures = {
  bench: 'lake',
  ...(shape ? { shape: values.shape, buffer_s: bufferS } : {}),
  events: N,
  avro_bytes_per_event: Math.round((avroBytes / N) * 10) / 10,
  ndjson_bytes_per_event: Math.round((ndjsonBytes / N) * 10) / 10,
  parquet_bytes_per_event: Math.round((parquet.length / N) * 100) / 100,
  parquet_vs_ndjson: Math.round((ndjsonBytes / parquet.length) * 10) / 10,
  /** Compressed column chunks the daily gold check reads, per event (footers not included). */
  gold_scan_bytes_per_event: Math.round(goldScanBytes * 100) / 100,
  column_bytes_per_event: columnBytes,
  write_events_per_s: Math.round(N / seconds),
  transform_ms_per_1000: Math.round((transformMs / N) * 1_000 * 1_000) / 1_000,
  drop_ms_per_1000: Math.round((dropMs / N) * 1_000 * 1_000) / 1_000,
  target_ratio: 10,
  meets_target: ndjsonBytes / parquet.length >= 10,
};
process.stderr.write(
  `${N} events: NDJSON ${figures.ndjson_bytes_per_event} B/event, Parquet ${figures.parquet_bytes_per_event} B/event (${figures.parquet_vs_ndjson}x smaller); transform + Parquet ${figures.write_events_per_s.toLocaleString('en-US')} events/s\n`,
);
console.log(JSON.stringify(figures));
