/**
 * Hot-path benchmark, one core, excluding I/O: Lambda-shaped batches of KPL
 * records go through the real projection (base64, de-aggregation, decode, the
 * windowing fold, read-modify-write of each window item with its sketch, item
 * serialisation, the shard checkpoint read and written every batch) against an
 * in-memory DynamoDB (bench/lib/memory-dynamo.ts) that answers at once, stores what
 * is written and reads it back, and bills units. Beside it, the writes a per-event
 * design makes (one item per event) for the same events. Ends with one JSON line.
 *
 * The events come from `--producers` producers (default 10,000: each host's events
 * spread over its share of them, second by second), so the checkpoint carries that
 * many producer marks, as a fleet shard's does where every host runs its own agent:
 * its read, decode, encode and write are measured, not answered with an empty item.
 *
 *   npm run bench:hot-path [-- --hosts 50 --seconds 600 --batch 1000 --producers 10000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { eventId } from '#core/contract/events.js';
import { AggregateBuilder } from '#core/contract/kpl.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { WriterVersions } from '#core/contract/writer-versions.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import type { LambdaKinesisEventRecord } from '#core/lambda/events.js';
import { decodeMarks } from '#core/projections/checkpoints.js';
import { CHECKPOINT_PK } from '#core/projections/table.js';
import { type BatchRecord, WindowProjection } from '#core/projections/window-projection.js';
import { SyntheticFleet } from '#core/sources/synthetic-fleet.js';
import { benchSequenceNumber, lambdaRecord } from './lib/lambda-records.js';
import { MemoryDynamo } from './lib/memory-dynamo.js';
import { windowingConfig } from '#core/windows/config.js';
import { windowStart } from '#core/windows/assign-window.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '600' },
    batch: { type: 'string', default: '100' },
    'events-per-record': { type: 'string', default: '500' },
    producers: { type: 'string', default: '10000' },
    measure: { type: 'string' },
  },
});
const HOSTS = Number(values.hosts);
const SECONDS = Number(values.seconds);
const BATCH = Number(values.batch);
const PER_RECORD = Number(values['events-per-record']);
const PRODUCERS = Number(values.producers);

const registry = SchemaRegistry.load();
const config = windowingConfig();
const FINEST = config.windowSizesMs[0] as number;

/**
 * The batches are generated in this process and measured in a fresh one, as a Lambda
 * process only ever decodes: encoding hundreds of thousands of events first would leave
 * the JIT and the heap in a state no Lambda sees.
 */
if (!values.measure) {
  const encoder = new SingleObjectEncoder();
  const fleet = new SyntheticFleet({ hosts: HOSTS });
  const start = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  const metricV = new WriterVersions(registry).of('MetricSample', {}); // what producers write a plain sample with
  const logV = registry.latest('LogEvent');

  // One event per host per metric per second (plus one log line), aggregated PER_RECORD events per record.
  const records: LambdaKinesisEventRecord[] = [];
  const distinctPerBatch: Set<string>[] = [];
  let events = 0;
  let builder = new AggregateBuilder();
  let keys = new Set<string>();
  const flushRecord = () => {
    if (builder.count === 0) return;
    const n = records.length;
    records.push(
      lambdaRecord({
        shardId: 'shardId-000000000000',
        sequenceNumber: benchSequenceNumber(n),
        partitionKey: 'server-001',
        data: builder.build(),
        arrivalMs: start + SECONDS * 1_000,
      }),
    );
    if (n % BATCH === 0) distinctPerBatch.push((keys = new Set()));
    builder = new AggregateBuilder();
  };
  let pending = new Set<string>();
  // Producer of a host's events in second s: host h takes producers h, h + HOSTS, h + 2 HOSTS, …
  // in turn, so every producer appears (and stays in the marks) and each one's seq only grows.
  const hostIndex = new Map<string, number>();
  const seqs = new Array<number>(PRODUCERS).fill(0);
  const identity = (host: string, s: number) => {
    let h = hostIndex.get(host);
    if (h === undefined) hostIndex.set(host, (h = hostIndex.size));
    const p = (h + HOSTS * s) % PRODUCERS;
    const producerId = `agent-${String(p).padStart(5, '0')}`;
    const producerSeq = ++(seqs[p] as number);
    return { event_id: eventId(producerId, producerSeq), producer_id: producerId, producer_seq: producerSeq };
  };
  for (let s = 0; s < SECONDS; s++) {
    const at = new Date(start + s * 1_000);
    const { metrics, logs } = fleet.tick(at);
    for (const m of metrics) {
      builder.add({ partitionKey: m.host, data: encoder.encode(metricV, { ...identity(m.host, s), ...m }) });
      // one item per (host, finest window); coarser windows are derived from the finest
      pending.add(`h|${m.host}|${windowStart(at.getTime(), FINEST)}`);
      events++;
      if (builder.count === PER_RECORD) {
        flushRecord();
        for (const k of pending) keys.add(k);
        pending = new Set();
      }
    }
    for (const l of logs) {
      builder.add({ partitionKey: l.host, data: encoder.encode(logV, { ...identity(l.host, s), ...l }) });
      pending.add(`s|${l.service}|${windowStart(at.getTime(), FINEST)}`);
      if (config.logCountsByHost) pending.add(`h|${l.host}|${windowStart(at.getTime(), FINEST)}`);
      events++;
      if (builder.count === PER_RECORD) {
        flushRecord();
        for (const k of pending) keys.add(k);
        pending = new Set();
      }
    }
  }
  flushRecords();
  function flushRecords() {
    flushRecord();
    for (const k of pending) keys.add(k);
  }

  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-'));
  const file = join(dir, 'batches.json');
  writeFileSync(file, JSON.stringify({ records, distinct: distinctPerBatch.map((s) => s.size), events, start }));
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--measure',
      file,
      '--batch',
      String(BATCH),
      '--seconds',
      String(SECONDS),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  process.stdout.write(out);
  process.exit(0);
}
const input = JSON.parse(readFileSync(values.measure, 'utf8')) as {
  records: LambdaKinesisEventRecord[];
  distinct: number[];
  events: number;
  start: number;
};
const { records, events, start } = input;
const batches: BatchRecord[][] = [];
for (let i = 0; i < records.length; i += BATCH) {
  batches.push(
    records.slice(i, i + BATCH).map((r) => ({
      record: r,
      sequenceNumber: r.kinesis.sequenceNumber,
      arrivalMs: r.kinesis.approximateArrivalTimestamp * 1000,
    })),
  );
}

/** The table of the last run: each run starts from an empty one, as a new stream would. */
let ddb = new MemoryDynamo();

async function run(): Promise<number> {
  ddb = new MemoryDynamo();
  const projection = new WindowProjection({
    ddb,
    tableName: 'bench',
    registry,
    config,
    now: () => start + SECONDS * 1_000,
  });
  const t0 = process.hrtime.bigint();
  for (const b of batches) {
    const r = await projection.processBatch('shardId-000000000000', b);
    if (process.env.BENCH_DEBUG) console.error(JSON.stringify(r.counters));
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

await run(); // warm-up (JIT)
let best = Number.POSITIVE_INFINITY;
for (let r = 0; r < 5; r++) best = Math.min(best, await run());
const counts = ddb.counts;
const checkpoint = ddb.items.get(`${CHECKPOINT_PK}\u0000shardId-000000000000`);
const distinct = input.distinct.reduce((n, s) => n + s, 0);
const figures = {
  bench: 'hot-path',
  events,
  kinesis_records: records.length,
  batches: batches.length,
  events_per_s: Math.round(events / best),
  window_writes: counts.windowWrites,
  distinct_key_window_pairs_per_batch_sum: distinct,
  writes_equal_distinct_pairs: counts.windowWrites === distinct,
  checkpoint_writes: counts.checkpointWrites,
  checkpoint_reads: counts.reads,
  checkpoint_marks: decodeMarks(checkpoint?.marks?.B).size,
  checkpoint_marks_bytes: checkpoint?.marks?.B?.length ?? 0,
  window_write_units: counts.windowWriteUnits,
  checkpoint_write_units: counts.checkpointWriteUnits,
  read_units: counts.readUnits,
  writes_per_1000_events: Math.round(((counts.windowWrites + counts.checkpointWrites) / events) * 1000 * 100) / 100,
  write_units_per_1000_events:
    Math.round(((counts.windowWriteUnits + counts.checkpointWriteUnits) / events) * 1000 * 100) / 100,
  per_event_baseline_writes_per_1000_events: 1000,
  target_events_per_s: 500_000,
  meets_target: events / best >= 500_000,
};
process.stderr.write(
  `${events} events in ${records.length} records, ${batches.length} batches: ${figures.events_per_s.toLocaleString('en-US')} events/s; ` +
    `${counts.windowWrites} window writes (distinct pairs: ${distinct}), ${figures.writes_per_1000_events} writes per 1,000 events vs 1,000 per-event; ` +
    `checkpoint of ${figures.checkpoint_marks} producer marks (${figures.checkpoint_marks_bytes} bytes deflated) read ${counts.reads} and written ${counts.checkpointWrites} times, ${counts.checkpointWriteUnits} write units\n`,
);
console.log(JSON.stringify(figures));
