/**
 * bench:fleet's simulation of one shape in one flush mode: agents put one KPL record per
 * host and tick, Lambda's polling and tumbling windows run on a simulated clock, and the
 * real hot-path handler writes to an in-memory DynamoDB that counts billed units.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { itemSizeBytes } from '#core/cost/item-size.js';
import { AggregateBuilder } from '#core/contract/kpl.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { WriterVersions } from '#core/contract/writer-versions.js';
import { HOT_PATH_EMF } from '#core/metrics/names.js';
import { HeldRecords } from '#core/projections/visibility.js';
import { WindowProjection } from '#core/projections/window-projection.js';
import { seededRandom } from '#core/sources/synthetic-fleet.js';
import { windowingConfig } from '#core/windows/config.js';
import { createKinesisBatchHandler } from '#handlers/lib/kinesis-batch.js';
import type { ModeFigures, Shape, StoredFigures, StreamFigures } from './fleet-shapes.js';
import { HandlerOutput } from './handler-output.js';
import { benchSequenceNumber, lambdaRecord } from './lambda-records.js';
import { MemoryDynamo } from './memory-dynamo.js';
import { fleetSample } from './metric-names.js';

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
/** Counts and swallows what the handler prints (installed once, before any simulation). */
const output = new HandlerOutput();

/** The shard a partition key's MD5 falls in, of `shards` shards splitting the hash range evenly. */
function shardOf(partitionKey: string, shards: number): number {
  const hash = BigInt(`0x${createHash('md5').update(partitionKey).digest('hex')}`);
  return Number((hash * BigInt(shards)) >> 128n);
}

/** A record waiting on its shard for Lambda's next poll. */
interface Pending {
  arrival: number;
  data: Buffer;
  host: string;
  events: number;
}

/** The `p` quantile of sorted values (0 when none). */
function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] as number);
}

/** The ticks of every host, by second: pairs of (host index, tick ms), each host from a random phase. */
function scheduleTicks(
  hosts: number,
  intervalMs: number,
  seconds: number,
  random: () => number,
): Map<number, number[]> {
  const ticksBySecond = new Map<number, number[]>();
  for (let h = 0; h < hosts; h++) {
    for (let t = Math.floor(random() * intervalMs); t < seconds * 1_000; t += intervalMs) {
      const s = Math.floor(t / 1_000);
      let list = ticksBySecond.get(s);
      if (!list) ticksBySecond.set(s, (list = []));
      list.push(h, t);
    }
  }
  return ticksBySecond;
}

/** What the window table holds after a run: items of the finest size, coarser ones, checkpoints. */
function storedFigures(items: Iterable<Record<string, AttributeValue>>): StoredFigures {
  const finest = `F#${Math.min(...config.windowSizesMs)}#`;
  const stored = { finest: 0, finestBytes: 0, coarser: 0, checkpoints: 0, checkpointBytes: 0 };
  for (const item of items) {
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
    finest_window_items: stored.finest,
    finest_window_item_bytes: Math.round(stored.finestBytes / Math.max(1, stored.finest)),
    coarser_window_items: stored.coarser,
    checkpoint_item_bytes: Math.round(stored.checkpointBytes / Math.max(1, stored.checkpoints)),
  };
}

/**
 * Runs one shape in one flush mode (`flushS` 0: every batch writes its windows) through
 * the real handler on a simulated clock, and returns what it cost (see bench/fleet.ts).
 */
export async function simulate(
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
  const ticksBySecond = scheduleTicks(hosts.length, intervalMs, shape.seconds, random);

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
  output.reset();
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
    const out = await output.swallow(() => handler(event));
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
    emf_documents_per_invocation: Math.round((output.written.emfDocuments / invocations) * 1_000) / 1_000,
    emf_bytes_per_invocation: Math.round(output.written.emfBytes / invocations),
    log_lines_per_invocation: Math.round((output.written.logLines / invocations) * 1_000) / 1_000,
    log_bytes_per_invocation: Math.round(output.written.logBytes / invocations),
    custom_metrics: output.customMetrics.size,
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
    stored: storedFigures(ddb.items.values()),
  };
}
