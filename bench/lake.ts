/**
 * Lake benchmark, one core: bytes per event as Parquet (Snappy, dictionary, the
 * lake columns) vs NDJSON (what Firehose would land without conversion) for the
 * same events, and write throughput of transform + Parquet. Ends with one JSON line.
 *
 *   npm run bench:lake [-- --events 200000]
 */
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventId } from '../core/contract/events.js';
import { SchemaRegistry } from '../core/contract/registry.js';
import { SingleObjectEncoder } from '../core/contract/single-object.js';
import { lakeColumns } from '../core/lake/columns.js';
import { rowsToParquet } from '../core/lake/parquet.js';
import { type FirehoseInputRecord, LakeTransform } from '../core/lake/transform.js';
import { SyntheticFleet } from '../core/sources/synthetic-fleet.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' } } });
const N = Number(values.events);
const registry = SchemaRegistry.load();
const writer = registry.latest('MetricSample');
const encoder = new SingleObjectEncoder();
const fleet = new SyntheticFleet({ hosts: 50 });
const start = Date.UTC(2026, 10, 22, 0, 0);
const producerId = 'b8a4f2f6-5a0e-4bd6-9d1f-4c4f5a3d2e11';
const inputs: FirehoseInputRecord[] = [];
/** Events per KPL aggregate in the reference local run (core/cost/reference-measurements.json), 4 shards. */
const PER_RECORD = 123;
const SHARDS = 4;
for (let t = 0; inputs.length < N; t++) {
  for (const m of fleet.tick(new Date(start + t * 10_000)).metrics) {
    const seq = inputs.length + 1;
    const bytes = encoder.encode(writer, {
      event_id: eventId(producerId, seq),
      producer_id: producerId,
      producer_seq: seq,
      ...m,
    });
    inputs.push({
      recordId: String(seq),
      approximateArrivalTimestamp: start + t * 10_000 + 1_500,
      data: bytes.toString('base64'),
      kinesisRecordMetadata: {
        shardId: `shardId-00000000000${Math.floor(seq / PER_RECORD) % SHARDS}`,
        partitionKey: m.host,
        approximateArrivalTimestamp: start + t * 10_000 + 1_500,
        // 56 decimal digits, as Kinesis writes them; one per aggregate
        sequenceNumber: (
          49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000n +
          BigInt(Math.floor(seq / PER_RECORD)) * 1_000_000_000n
        )
          .toString()
          .padEnd(56, '0'),
        subsequenceNumber: seq % PER_RECORD,
      },
    });
    if (inputs.length === N) break;
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

const figures = {
  bench: 'lake',
  events: N,
  avro_bytes_per_event: Math.round((avroBytes / N) * 10) / 10,
  ndjson_bytes_per_event: Math.round((ndjsonBytes / N) * 10) / 10,
  parquet_bytes_per_event: Math.round((parquet.length / N) * 100) / 100,
  parquet_vs_ndjson: Math.round((ndjsonBytes / parquet.length) * 10) / 10,
  write_events_per_s: Math.round(N / seconds),
  target_ratio: 10,
  meets_target: ndjsonBytes / parquet.length >= 10,
};
process.stderr.write(
  `${N} events: NDJSON ${figures.ndjson_bytes_per_event} B/event, Parquet ${figures.parquet_bytes_per_event} B/event (${figures.parquet_vs_ndjson}x smaller); transform + Parquet ${figures.write_events_per_s.toLocaleString('en-US')} events/s\n`,
);
console.log(JSON.stringify(figures));
