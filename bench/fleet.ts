/**
 * Fleet benchmark: what the hot path costs per event at the shapes real fleets have,
 * with window state held across invocations (`flushIntervalSeconds`) and without it
 * (`0`: every batch writes its windows), side by side.
 *
 * Each host runs its own agent (its own producer id): every `interval_s` it sends one
 * KPL record of all its metrics, partition key = host, arriving 0.1–1 s after the
 * samples were taken. Records go to shards by the MD5 of their partition key, as
 * Kinesis routes them. A simulated clock drives Lambda's polling (one batch per shard
 * per second, at most 1,000 records), its tumbling windows (state passed from
 * invocation to invocation, a final invoke once the window's arrival time has passed)
 * and the real handler (base64, de-aggregation, decode, the fold, the held state's
 * encoding, the projection's conditional writes) against an in-memory DynamoDB that
 * stores items, answers reads with them and counts the units DynamoDB would bill
 * (bench/lib/memory-dynamo.ts).
 *
 * Shards: as many as each shape's state needs to hold a minute of its hosts within
 * Lambda's 1 MB per shard (C: 8; `--c-shards 4` shows what fewer cost: early flushes).
 *
 * `p95_visible_ms` is simulated: from a record's arrival to the poll that wrote its
 * windows, plus the real time that invocation took.
 *
 * For `pulse cost` (core/cost/reference-fleet.json, `npm run bench:cost-reference`) each
 * shape also reports what its records weigh on the stream (events per record, bytes per
 * event and record, Kinesis PUT payload units and Firehose 5 KB increments per event,
 * both readings), the window table's items after the run (host-minute items and their
 * bytes) and, per mode, what the handler prints: EMF documents and log lines (counted
 * and swallowed; in AWS they are CloudWatch Logs ingestion) and the distinct custom
 * metrics they define. The handler runs with the fleet views on, as a stage deploys.
 *
 *   npm run bench:fleet [-- --shapes A,B,C,D --flush 60]
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { AggregateBuilder } from '#core/contract/kpl.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { WriterVersions } from '#core/contract/writer-versions.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { WindowProjection } from '#core/projections/window-projection.js';
import { seededRandom } from '#core/sources/synthetic-fleet.js';
import { windowingConfig } from '#core/windows/config.js';
import { createKinesisBatchHandler } from '#handlers/lib/kinesis-batch.js';
import { HOT_PATH_EMF } from '#core/metrics/names.js';
import { benchSequenceNumber, lambdaRecord } from './lib/lambda-records.js';
import { MemoryDynamo } from './lib/memory-dynamo.js';
import { fleetSample } from './lib/metric-names.js';
import { HeldRecords } from '#core/projections/visibility.js';
import { itemSizeBytes } from '#core/cost/item-size.js';

/** A fleet shape: `hosts` × `metrics` every `interval_s`, simulated for `seconds` on `shards` shards. */
interface Shape {
  name: string;
  hosts: number;
  metrics: number;
  interval_s: number;
  seconds: number;
  shards: number;
  note: string;
}

const SHAPES: Shape[] = [
  {
    name: 'A',
    hosts: 10,
    metrics: 5,
    interval_s: 300,
    seconds: 7_200,
    shards: 1,
    note: 'seed 000: 10 hosts × 5 metrics every 5 minutes',
  },
  {
    name: 'B',
    hosts: 1_000,
    metrics: 5,
    interval_s: 10,
    seconds: 600,
    shards: 1,
    note: '1,000 hosts × 5 metrics every 10 s',
  },
  {
    name: 'C',
    hosts: 10_000,
    metrics: 20,
    interval_s: 10,
    seconds: 240,
    shards: 8,
    note: '10,000 hosts × 20 metrics every 10 s',
  },
  {
    name: 'D',
    hosts: 10,
    metrics: 5,
    interval_s: 0.05,
    seconds: 180,
    shards: 2,
    note: "today's dense fleet: 10 hosts × 5 metrics, 20 samples/s per series",
  },
];

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'A,B,C,D' },
    flush: { type: 'string', default: '60' },
    'c-shards': { type: 'string' },
  },
});
const FLUSH_S = Number(values.flush);
// EMF and log lines go to CloudWatch Logs in AWS, billed per GB: here they are counted
// and swallowed (see `written`). The function name is a dimension of every EMF document.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.AWS_LAMBDA_FUNCTION_NAME = 'pulse-prod-hot-path';
const chosen = new Set(values.shapes.split(','));
if (values['c-shards']) (SHAPES[2] as Shape).shards = Number(values['c-shards']);

const registry = SchemaRegistry.load();
const config = windowingConfig();
const metricV = new WriterVersions(registry).of('MetricSample', {}); // what producers write a plain sample with
const BATCH_SIZE = 1_000;
const STATE_LIMIT = 1_048_576;
/** Kinesis provisioned mode bills PUTs in 25 KB payload units per record. */
const PUT_PAYLOAD_UNIT = 25 * 1_024;
/** Firehose bills ingestion in 5 KB increments per record. */
const FIREHOSE_INCREMENT = 5 * 1_024;
const silent = { log: () => {}, info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

function shardOf(partitionKey: string, shards: number): number {
  const hash = BigInt(`0x${createHash('md5').update(partitionKey).digest('hex')}`);
  return Number((hash * BigInt(shards)) >> 128n);
}

interface Pending {
  arrival: number;
  data: Buffer;
  host: string;
  events: number;
}

interface ModeFigures {
  flush_interval_s: number;
  events: number;
  writes_per_event: number;
  write_units_per_event: number;
  checkpoint_write_units_per_event: number;
  read_units_per_event: number;
  p95_visible_ms: number;
  invocations: number;
  early_flushes: number;
  /** Batches cut short (a partial batch failure) to keep the state within the budget. */
  batches_cut: number;
  windows_terminated_early: number;
  max_state_bytes: number;
  hot_path_events_per_cpu_s: number;
  /** EMF documents the handler printed per invocation, and their bytes (CloudWatch Logs ingestion). */
  emf_documents_per_invocation: number;
  emf_bytes_per_invocation: number;
  /** Log lines (Powertools Logger, INFO) per invocation and their bytes; Lambda's own START/END/REPORT not included. */
  log_lines_per_invocation: number;
  log_bytes_per_invocation: number;
  /** Distinct custom metrics the EMF documents defined (fleet views on, no listed hosts). */
  custom_metrics: number;
}

/**
 * What the records the agents put weigh on the stream (the same for both flush modes):
 * one KPL aggregate per host per tick, as the producer makes it when a host's agent puts
 * all its metrics at once (partition key = host, 100 ms linger).
 */
interface StreamFigures {
  records: number;
  events_per_record: number;
  /** Aggregated record data (KPL magic, protobuf, MD5) per event; partition keys not counted. */
  stream_bytes_per_event: number;
  /** Mean data bytes of one aggregated record. */
  record_bytes: number;
  /** Mean bytes of one single-object event (what Firehose hands the transform after de-aggregation). */
  event_bytes: number;
  /** Kinesis provisioned PUT payload units (25 KB each, per record) per event. */
  put_payload_units_per_event: number;
  /** Firehose 5 KB ingestion increments per event if billed per aggregated record. */
  firehose_5kb_units_per_event_aggregated: number;
  /** Firehose 5 KB ingestion increments per event if billed per de-aggregated event. */
  firehose_5kb_units_per_event_deaggregated: number;
}

/** What the window table holds after a run with held state: what its storage bills. */
interface StoredFigures {
  /** Host items of the finest window size (one per host and minute with a sample). */
  finest_window_items: number;
  /** Their mean size by DynamoDB's rules (without its 100 bytes of per-item overhead). */
  finest_window_item_bytes: number;
  /** Host items of coarser sizes (only corrections: late for the minute, on time for the hour). */
  coarser_window_items: number;
  /** Mean bytes of one shard checkpoint item. */
  checkpoint_item_bytes: number;
}

/** What the handler wrote to stdout while {@link swallow} was on: EMF documents and log lines. */
const written = { emfBytes: 0, emfDocuments: 0, logBytes: 0, logLines: 0 };
/** Distinct (metric, dimensions and their values) of the EMF documents: CloudWatch bills each as a custom metric. */
const customMetrics = new Set<string>();

/** Adds the custom metrics one EMF document defines to {@link customMetrics}. */
function countCustomMetrics(line: string): void {
  const doc = JSON.parse(line) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  };
  for (const d of doc._aws.CloudWatchMetrics) {
    for (const set of d.Dimensions) {
      const dims = set.map((k) => `${k}=${String(doc[k])}`).join(',');
      for (const m of d.Metrics) customMetrics.add(`${d.Namespace}/${m.Name}{${dims}}`);
    }
  }
}
let swallow = false;
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  if (!swallow) return stdoutWrite(chunk, ...rest);
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const bytes = Buffer.byteLength(line) + 1;
    if (line.includes('"_aws"')) {
      written.emfBytes += bytes;
      written.emfDocuments++;
      countCustomMetrics(line);
    } else {
      written.logBytes += bytes;
      written.logLines++;
    }
  }
  return true;
}) as typeof process.stdout.write;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] as number);
}

async function simulate(
  shape: Shape,
  flushS: number,
): Promise<ModeFigures & { stream: StreamFigures; stored: StoredFigures }> {
  const random = seededRandom(15);
  const encoder = new SingleObjectEncoder();
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
  const intervalMs = Math.round(shape.interval_s * 1_000);
  const hosts = Array.from({ length: shape.hosts }, (_, i) => `host-${String(i + 1).padStart(5, '0')}`);
  const producerOf = hosts.map((h) => `agent-${h}-${createHash('md5').update(h).digest('hex').slice(0, 12)}`);
  const seqOf = hosts.map(() => 0);
  const shardOfHost = hosts.map((h) => shardOf(h, shape.shards));
  const ticksBySecond = new Map<number, number[]>();
  for (let h = 0; h < hosts.length; h++) {
    for (let t = Math.floor(random() * intervalMs); t < shape.seconds * 1_000; t += intervalMs) {
      const s = Math.floor(t / 1_000);
      let list = ticksBySecond.get(s);
      if (!list) ticksBySecond.set(s, (list = []));
      list.push(h, t);
    }
  }

  const ddb = new MemoryDynamo();
  const projection = new WindowProjection({
    ddb: ddb as unknown as Pick<DynamoDBClient, 'send'>,
    tableName: 'bench',
    registry,
    config,
    now: () => base + shape.seconds * 1_000,
  });
  const handler = createKinesisBatchHandler({
    projection,
    logger: new Logger({ serviceName: HOT_PATH_EMF.service, logLevel: 'INFO' }),
    metrics: new Metrics({ namespace: HOT_PATH_EMF.namespace, serviceName: HOT_PATH_EMF.service, logger: silent }),
    // As a stage deploys by default (fleetMetrics): the fleet's distributions across hosts
    // and a log line per host and minute; no host listed for per-host metrics.
    fleetMetrics: true,
    onBatch: (c, event) => flushedBy.set(event, c.flushed),
  });
  const flushedBy = new WeakMap<object, boolean>();

  const shards = Array.from({ length: shape.shards }, (_, i) => ({
    id: `shardId-${String(i).padStart(12, '0')}`,
    pending: [] as Pending[],
    seq: 0,
    window: -1,
    state: {} as Record<string, unknown>,
  }));
  const latencies: number[] = [];
  const held = new HeldRecords<number>(); // arrivals of records folded but not yet written
  let events = 0;
  let invocations = 0;
  let earlyFlushes = 0;
  let cuts = 0;
  let terminatedEarly = 0;
  let maxState = 0;
  let cpuMs = 0;
  Object.assign(written, { emfBytes: 0, emfDocuments: 0, logBytes: 0, logLines: 0 });
  customMetrics.clear();
  const stream = { records: 0, recordBytes: 0, eventBytes: 0, putUnits: 0, fhAggregated: 0, fhEvents: 0 };

  const invoke = async (
    shard: (typeof shards)[number],
    records: Pending[],
    at: number,
    final: boolean,
    early = false,
  ): Promise<void> => {
    const lambdaRecords = records.map((r) =>
      lambdaRecord({
        shardId: shard.id,
        sequenceNumber: benchSequenceNumber(shard.seq++),
        partitionKey: r.host,
        data: r.data,
        arrivalMs: base + r.arrival,
      }),
    );
    const windowed = flushS > 0;
    const t0 = performance.now();
    const event = {
      Records: lambdaRecords,
      ...(windowed
        ? {
            state: shard.state,
            shardId: shard.id,
            window: {
              start: new Date(base + shard.window * flushS * 1_000).toISOString(),
              end: new Date(base + (shard.window + 1) * flushS * 1_000).toISOString(),
            },
            isFinalInvokeForWindow: final,
            isWindowTerminatedEarly: early,
          }
        : {}),
    };
    swallow = true;
    const out = await handler(event).finally(() => (swallow = false));
    const ms = performance.now() - t0;
    cpuMs += ms;
    invocations++;
    // The bench fails no write: a partial failure is a batch cut to keep the state within the
    // budget, and Lambda sends the rest again with the state answered.
    const failed = out.batchItemFailures[0]?.itemIdentifier;
    const cut =
      failed === undefined ? records.length : lambdaRecords.findIndex((r) => r.kinesis.sequenceNumber === failed);
    if (cut < 0) throw new Error(`the handler reported a record not in the batch: ${failed}`);
    if (failed !== undefined) cuts++;
    const flushed = flushedBy.get(event) === true;
    const stillHeld = windowed && Object.keys(out.state ?? {}).length > 0;
    const arrivals = records.slice(0, cut).map((r) => r.arrival);
    for (const arrival of held.settle(shard.id, arrivals, flushed, stillHeld)) latencies.push(at - arrival + ms);
    if (windowed) {
      shard.state = out.state ?? {};
      const bytes = Buffer.byteLength(JSON.stringify(shard.state));
      maxState = Math.max(maxState, bytes);
      if (!final && flushed) earlyFlushes++;
      if (bytes > STATE_LIMIT) {
        // Lambda ends the window early: final processing of this state, then the same window afresh.
        terminatedEarly++;
        await invoke(shard, [], at, true, true);
      }
    }
    if (cut < records.length) {
      shard.seq -= records.length - cut; // the same records again, with their sequence numbers
      await invoke(shard, records.slice(cut), at, false);
    }
  };

  const poll = async (shard: (typeof shards)[number], at: number) => {
    shard.pending.sort((a, b) => a.arrival - b.arrival);
    const cut = shard.pending.findIndex((r) => r.arrival > at);
    const ready = cut < 0 ? shard.pending : shard.pending.slice(0, cut);
    shard.pending = cut < 0 ? [] : shard.pending.slice(cut);
    let i = 0;
    do {
      if (flushS > 0) {
        const next = ready[i];
        const window = next ? Math.floor(next.arrival / (flushS * 1_000)) : Math.floor(at / (flushS * 1_000));
        // The window's arrival time has passed: its final invoke, if anything was folded in it.
        if (shard.window >= 0 && window > shard.window) {
          if (Object.keys(shard.state).length > 0) await invoke(shard, [], at, true);
          shard.state = {};
        }
        shard.window = Math.max(shard.window, window);
        if (!next) break;
        let j = i;
        while (
          j < ready.length &&
          j - i < BATCH_SIZE &&
          Math.floor((ready[j] as Pending).arrival / (flushS * 1_000)) === window
        )
          j++;
        await invoke(shard, ready.slice(i, j), at, false);
        i = j;
      } else {
        if (i >= ready.length) break;
        const j = Math.min(ready.length, i + BATCH_SIZE);
        await invoke(shard, ready.slice(i, j), at, false);
        i = j;
      }
    } while (i < ready.length || flushS > 0);
  };

  for (let s = 0; s <= shape.seconds + Math.max(flushS, 1) + 2; s++) {
    const ticks = ticksBySecond.get(s) ?? [];
    for (let k = 0; k < ticks.length; k += 2) {
      const h = ticks[k] as number;
      const t = ticks[k + 1] as number;
      const host = hosts[h] as string;
      const builder = new AggregateBuilder();
      for (let m = 0; m < shape.metrics; m++) {
        const seq = ++(seqOf[h] as number);
        const producer = producerOf[h] as string;
        const data = encoder.encode(metricV, fleetSample(producer, seq, host, m, base + t, random));
        builder.add({ partitionKey: host, data });
        stream.eventBytes += data.length;
        stream.fhEvents += Math.ceil(data.length / FIREHOSE_INCREMENT);
      }
      events += shape.metrics;
      const record = builder.build();
      stream.records++;
      stream.recordBytes += record.length;
      stream.putUnits += Math.ceil(record.length / PUT_PAYLOAD_UNIT);
      stream.fhAggregated += Math.ceil(record.length / FIREHOSE_INCREMENT);
      (shards[shardOfHost[h] as number] as (typeof shards)[number]).pending.push({
        arrival: t + 100 + Math.floor(random() * 900),
        data: record,
        host,
        events: shape.metrics,
      });
    }
    // Lambda polls each shard about once a second (MaximumBatchingWindowInSeconds 1).
    for (const shard of shards) await poll(shard, (s + 1) * 1_000);
  }
  // The end: every window still held is written (a final invoke once its time passes).
  for (const shard of shards) {
    if (flushS > 0 && Object.keys(shard.state).length > 0) {
      await invoke(shard, [], (shard.window + 1) * flushS * 1_000 + 1_000, true);
    }
  }
  latencies.sort((a, b) => a - b);
  const c = ddb.counts;
  const per = (n: number) => Math.round((n / events) * 100_000) / 100_000;
  const finest = `F#${Math.min(...config.windowSizesMs)}#`;
  const stored = { finest: 0, finestBytes: 0, coarser: 0, checkpoints: 0, checkpointBytes: 0 };
  for (const item of ddb.items.values()) {
    const pk = item.pk?.S ?? '';
    if (pk.startsWith(finest)) {
      stored.finest++;
      stored.finestBytes += itemSizeBytes(item);
    } else if (pk.startsWith('F#')) stored.coarser++;
    else if (pk === 'CHECKPOINT') {
      stored.checkpoints++;
      stored.checkpointBytes += itemSizeBytes(item);
    }
  }
  return {
    flush_interval_s: flushS,
    events,
    writes_per_event: per(c.windowWrites - c.conditionFailures),
    write_units_per_event: per(c.windowWriteUnits + c.checkpointWriteUnits + c.sideOutputWriteUnits),
    checkpoint_write_units_per_event: per(c.checkpointWriteUnits),
    read_units_per_event: per(c.readUnits),
    p95_visible_ms: Math.round(percentile(latencies, 0.95)),
    invocations,
    early_flushes: earlyFlushes,
    batches_cut: cuts,
    windows_terminated_early: terminatedEarly,
    max_state_bytes: maxState,
    hot_path_events_per_cpu_s: Math.round(events / (cpuMs / 1_000)),
    emf_documents_per_invocation: Math.round((written.emfDocuments / invocations) * 1_000) / 1_000,
    emf_bytes_per_invocation: Math.round(written.emfBytes / invocations),
    log_lines_per_invocation: Math.round((written.logLines / invocations) * 1_000) / 1_000,
    log_bytes_per_invocation: Math.round(written.logBytes / invocations),
    custom_metrics: customMetrics.size,
    stream: {
      records: stream.records,
      events_per_record: Math.round((events / stream.records) * 100) / 100,
      stream_bytes_per_event: Math.round((stream.recordBytes / events) * 100) / 100,
      record_bytes: Math.round(stream.recordBytes / stream.records),
      event_bytes: Math.round((stream.eventBytes / events) * 100) / 100,
      put_payload_units_per_event: per(stream.putUnits),
      firehose_5kb_units_per_event_aggregated: per(stream.fhAggregated),
      firehose_5kb_units_per_event_deaggregated: per(stream.fhEvents),
    },
    stored: {
      finest_window_items: stored.finest,
      finest_window_item_bytes: Math.round(stored.finestBytes / Math.max(1, stored.finest)),
      coarser_window_items: stored.coarser,
      checkpoint_item_bytes: Math.round(stored.checkpointBytes / Math.max(1, stored.checkpoints)),
    },
  };
}

const results = [];
for (const shape of SHAPES) {
  if (!chosen.has(shape.name)) continue;
  const { stream, stored, ...held } = await simulate(shape, FLUSH_S);
  const { stream: _same, stored: _sameItems, ...perBatch } = await simulate(shape, 0);
  const eventsPerS = Math.round(((shape.hosts * shape.metrics) / shape.interval_s) * 100) / 100;
  const row = {
    name: shape.name,
    hosts: shape.hosts,
    metrics: shape.metrics,
    interval_s: shape.interval_s,
    shards: shape.shards,
    events_per_s: eventsPerS,
    writes_per_event: held.writes_per_event,
    write_units_per_event: held.write_units_per_event,
    read_units_per_event: held.read_units_per_event,
    p95_visible_ms: held.p95_visible_ms,
    seconds: shape.seconds,
    ...stream,
    ...stored,
    held,
    per_batch: perBatch,
  };
  process.stderr.write(
    `${shape.name} (${shape.note}; ${eventsPerS} events/s on ${shape.shards} shard(s), ${held.events} events):\n` +
      `  flush ${FLUSH_S} s: ${held.writes_per_event} writes, ${held.write_units_per_event} WU (checkpoints ${held.checkpoint_write_units_per_event}), ${held.read_units_per_event} RU per event; p95 visible ${held.p95_visible_ms} ms; max state ${held.max_state_bytes} B, ${held.early_flushes} early flushes\n` +
      `  flush 0:    ${perBatch.writes_per_event} writes, ${perBatch.write_units_per_event} WU (checkpoints ${perBatch.checkpoint_write_units_per_event}), ${perBatch.read_units_per_event} RU per event; p95 visible ${perBatch.p95_visible_ms} ms\n`,
  );
  results.push(row);
}
console.log(JSON.stringify({ bench: 'fleet', flush_interval_s: FLUSH_S, shapes: results }));
