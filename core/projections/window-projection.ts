/**
 * The hot-path projection: one batch of one shard's records in, event-time
 * windows in DynamoDB out, with exactly-once effects.
 *
 * Two fences make every effect happen once, whatever Kinesis and Lambda redeliver:
 * - each window item stores, per shard, the last stream position it absorbed;
 *   its write is conditional on its version, so events at or below the fence are
 *   never applied twice (redelivery, bisect, retries, a crash between writes);
 * - the shard checkpoint stores each producer's highest `producer_seq`, so a
 *   producer's retried duplicate (same identity, new sequence number) is skipped.
 *   It advances only over the records whose effects are all stored.
 * One conditional write per (item, batch), never one per event.
 */
import { type AttributeValue, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type KinesisRecordLike, recordParts, StreamDecoder } from '../contract/consumer.js';
import type { SchemaRegistry } from '../contract/registry.js';
import { addSample } from '../windows/aggregates.js';
import { mergeSketch, newSketch } from '../windows/sketch.js';
import type { WindowingConfig } from '../windows/config.js';
import {
  type Contribution,
  type DecodedRecord,
  type EventTable,
  itemId,
  WINDOW_READERS,
  WindowFold,
} from '../windows/fold.js';
import { compareSeq, comparePosition, formatPosition, parsePosition } from '../windows/position.js';
import { type Checkpoint, CheckpointStore } from './checkpoints.js';
import { isServiceError } from '../clients/dynamodb.js';
import { SideOutputStore } from './side-outputs.js';
import { emptyItem, fromAttributes, itemKey, toAttributes, type WindowItem } from './window-items.js';

/**
 * One record of a batch, with its arrival time: in either Kinesis shape, or
 * already decoded (a replay of the Parquet archive, core/ops/archive.ts).
 */
export type BatchRecord = {
  sequenceNumber: string;
  /** Approximate arrival time, epoch ms. */
  arrivalMs: number;
} & ({ record: KinesisRecordLike } | { decoded: DecodedRecord });

/** Counters of one batch, published as metrics by the handler. */
export interface BatchCounters {
  records: number;
  eventsIn: number;
  windowsWritten: number;
  late: number;
  quarantined: number;
  duplicatesSkipped: number;
  /** Records skipped because the checkpoint already covers them. */
  recordsAlreadyApplied: number;
  writeRetries: number;
  failedWrites: number;
  /** Now minus the latest event time applied, ms (0 when nothing applied). */
  eventTimeLagMs: number;
  /** Latest event time applied (epoch ms), to stamp window metrics; NaN when none. */
  maxEventTime: number;
}

/** Result of a batch: the sequence number to retry from, if any, and the counters. */
export interface BatchResult {
  /** Lambda's `batchItemFailures`: at most one, the lowest record that must be retried. */
  failedSequenceNumber?: string;
  counters: BatchCounters;
}

/** Settings and clients of a {@link WindowProjection}. */
export interface WindowProjectionOptions {
  ddb: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  registry: SchemaRegistry;
  config: WindowingConfig;
  /** Parent shard ids of a shard (ListShards), to seed a new shard's checkpoint after a reshard. */
  parentsOf?: (shardId: string) => Promise<string[]>;
  /** Parallel item writes per batch (default 16). */
  writeConcurrency?: number;
  /** Conditional-write attempts per item before the batch reports a failure (default 6). */
  maxConditionalAttempts?: number;
  /** Window items kept warm between invocations (default 20,000). */
  cacheSize?: number;
  /** Clock for event-time lag (tests pin it). */
  now?: () => number;
}

class ItemCache {
  private readonly map = new Map<string, WindowItem>();
  constructor(private readonly limit: number) {}
  get(id: string): WindowItem | undefined {
    return this.map.get(id);
  }
  set(id: string, item: WindowItem): void {
    this.map.delete(id);
    this.map.set(id, item);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as string);
  }
  delete(id: string): void {
    this.map.delete(id);
  }
  clear(): void {
    this.map.clear();
  }
}

/** See the module comment. One instance per process; one batch per shard at a time. */
export class WindowProjection {
  private readonly decoder: StreamDecoder;
  private readonly checkpoints: CheckpointStore;
  private readonly sideOutputs: SideOutputStore;
  private readonly cache: ItemCache;
  private readonly o: Required<Omit<WindowProjectionOptions, 'parentsOf'>> & Pick<WindowProjectionOptions, 'parentsOf'>;

  constructor(options: WindowProjectionOptions) {
    this.o = {
      writeConcurrency: 16,
      maxConditionalAttempts: 6,
      cacheSize: 20_000,
      now: Date.now,
      ...options,
    };
    this.decoder = new StreamDecoder(options.registry, WINDOW_READERS);
    this.checkpoints = new CheckpointStore(options.ddb, options.tableName);
    this.sideOutputs = new SideOutputStore(options.ddb, options.tableName, options.config.ttlDays);
    this.cache = new ItemCache(this.o.cacheSize);
  }

  /**
   * Calls `listener` with each new record of a batch as it is decoded, once per
   * delivery (redelivered and duplicate events included), so observers such as the
   * fleet metrics need no second decode.
   */
  onDecoded(listener: (record: DecodedRecord) => void): void {
    this.decodedListeners.push(listener);
  }

  private readonly decodedListeners: ((record: DecodedRecord) => void)[] = [];

  /** Decodes a record once; poison user records stay with their bytes. */
  decodeRecord(r: BatchRecord): DecodedRecord {
    if ('decoded' in r) return r.decoded;
    const { data, partitionKey } = recordParts(r.record);
    // the decoder reads these bytes in place (a Buffer in GetRecords shape is not copied)
    const { events, poison } = this.decoder.decode({
      Data: data,
      SequenceNumber: r.sequenceNumber,
      PartitionKey: partitionKey,
    });
    const subs = new Map<number, Buffer>();
    return {
      sequenceNumber: r.sequenceNumber,
      partitionKey,
      arrivalMs: r.arrivalMs,
      events,
      poison,
      rawOf: (sub) => {
        let b = subs.get(sub);
        if (!b) {
          // Late and invalid events are rare: re-split the aggregate only when one needs its bytes.
          for (const u of this.decoder.userRecords(data)) subs.set(u.subSequenceNumber, u.data);
          b = subs.get(sub) ?? Buffer.alloc(0);
        }
        return b;
      },
    };
  }

  /**
   * The shard's checkpoint, read (strongly consistent) at the start of every batch:
   * Lambda may run a shard's consecutive batches in different processes, so a
   * checkpoint cached from an earlier batch could be stale, and decisions taken from
   * a stale state would be written before any conditional check could catch them.
   */
  private async checkpoint(shardId: string): Promise<Checkpoint> {
    const stored = await this.checkpoints.get(shardId);
    return stored ?? (await this.checkpoints.seed(shardId, (await this.o.parentsOf?.(shardId)) ?? []));
  }

  /**
   * Processes one batch of one shard, records in stream order.
   * @throws only what is not a DynamoDB answer (the invocation then fails and Lambda retries it)
   */
  async processBatch(shardId: string, batch: readonly BatchRecord[]): Promise<BatchResult> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.tryBatch(shardId, batch);
      if (result !== 'stale-checkpoint') return result;
      // Another invocation moved this shard's checkpoint: reload everything and replay.
      this.cache.clear();
      if (attempt >= 2) {
        return { failedSequenceNumber: batch[0]?.sequenceNumber, counters: emptyCounters(batch.length) };
      }
    }
  }

  private async tryBatch(shardId: string, batch: readonly BatchRecord[]): Promise<BatchResult | 'stale-checkpoint'> {
    const cp = await this.checkpoint(shardId);
    const counters = emptyCounters(batch.length);
    const fresh = batch.filter((r) => cp.sequenceNumber === '' || compareSeq(r.sequenceNumber, cp.sequenceNumber) > 0);
    counters.recordsAlreadyApplied = batch.length - fresh.length;
    if (fresh.length === 0) return { counters };
    const folder = new WindowFold(cp.state, this.o.config);
    for (const r of fresh) {
      const decoded = this.decodeRecord(r); // garbage right after the fold
      for (const listener of this.decodedListeners) listener(decoded);
      folder.add(decoded);
    }
    const fold = folder.finish();
    counters.eventsIn = fold.eventsIn;
    counters.late = fold.late.length;
    counters.quarantined = fold.quarantined.length;
    counters.duplicatesSkipped = fold.duplicates;

    // Every failure is reported at the record it happened in; the lowest one wins.
    let failedAt: string | undefined;
    const fail = (seq: string) => {
      if (failedAt === undefined || compareSeq(seq, failedAt) < 0) failedAt = seq;
    };
    for (const f of await this.sideOutputs.write(shardId, fold.quarantined, fold.late)) fail(f.sequenceNumber);

    const contributions = fold.contributions;
    const table = fold.table;
    let crash: unknown;
    let next = 0;
    const worker = async () => {
      while (next < contributions.length && crash === undefined) {
        const c = contributions[next++] as Contribution;
        try {
          const outcome = await this.applyContribution(shardId, c, table, counters);
          if (outcome === 'failed') {
            counters.failedWrites++;
            // Lambda retries from the contribution's first record; fences skip what was applied.
            fail(table.seqs[c.events[0] as number] as string);
          }
        } catch (error) {
          crash = error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.writeConcurrency, contributions.length) }, worker));
    if (crash !== undefined) {
      this.cache.clear();
      throw crash;
    }

    // Advance the checkpoint over the records before the first failure only.
    let state = fold.state;
    let lastSeq = (fresh[fresh.length - 1] as BatchRecord).sequenceNumber;
    if (failedAt !== undefined) {
      const stop = failedAt;
      const prefix = fresh.filter((r) => compareSeq(r.sequenceNumber, stop) < 0);
      if (prefix.length === 0) return { failedSequenceNumber: failedAt, counters };
      // Rare path: decode the prefix again rather than keep every event of every batch alive.
      const again = new WindowFold(cp.state, this.o.config);
      for (const r of prefix) again.add(this.decodeRecord(r));
      state = again.finish().state;
      lastSeq = (prefix[prefix.length - 1] as BatchRecord).sequenceNumber;
    }
    const next_: Checkpoint = { ...cp, sequenceNumber: lastSeq, state, version: cp.version + 1 };
    if (!(await this.checkpoints.put(next_, cp.version))) return 'stale-checkpoint';
    if (Number.isFinite(fold.maxEventTime)) {
      counters.maxEventTime = fold.maxEventTime;
      counters.eventTimeLagMs = Math.max(0, this.o.now() - fold.maxEventTime);
    }
    return failedAt === undefined ? { counters } : { failedSequenceNumber: failedAt, counters };
  }

  /** Applies the events of `c` above the item's fence with one conditional write (retried on conflict). */
  private async applyContribution(
    shardId: string,
    c: Contribution,
    table: EventTable,
    counters: BatchCounters,
  ): Promise<'ok' | 'failed'> {
    const id = itemId(c.key);
    const key = itemKey(c.key);
    let current = this.cache.get(id) ?? null; // null: unknown; try as new and learn on conflict
    for (let attempt = 0; attempt < this.o.maxConditionalAttempts; attempt++) {
      // The cached item stays as stored until the write succeeds, so only it needs copying.
      const base = current ?? emptyItem(c.key);
      const fence = base.fences.get(shardId);
      const f = fence ? parsePosition(fence) : undefined;
      const next = current ? cloneItem(current) : base;
      let applied = 0;
      let lastSeq = '';
      let lastSub = 0;
      for (const i of c.events) {
        const seq = table.seqs[i] as string;
        const sub = table.subs[i] as number;
        if (f && comparePosition(seq, sub, f.seq, f.sub) <= 0) continue;
        applied++;
        next.count++;
        if (next.metric) addSample(next.metric, table.values[i] as number, table.ats[i] as number);
        lastSeq = seq;
        lastSub = sub;
      }
      if (applied === 0) {
        if (current) this.cache.set(id, current);
        return 'ok';
      }
      // metric counts live in the aggregate too; keep the two in step
      if (next.metric) next.count = next.metric.count;
      next.fences.set(shardId, formatPosition(lastSeq, lastSub));
      const baseVersion = current?.version ?? 0;
      next.version = baseVersion + 1;
      const ttl = Math.floor((c.key.start + c.key.size) / 1000) + this.o.config.ttlDays * 86_400;
      try {
        await this.o.ddb.send(
          new PutItemCommand({
            TableName: this.o.tableName,
            Item: toAttributes(next, ttl),
            ConditionExpression: baseVersion === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
            ...(baseVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(baseVersion) } } }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.cache.set(id, next);
        counters.windowsWritten++;
        return 'ok';
      } catch (error) {
        if (!isServiceError(error)) throw error;
        if ((error as Error).name !== 'ConditionalCheckFailedException') {
          // Throttled or failing after the SDK's own retries: report, Lambda retries from here.
          this.cache.delete(id);
          return 'failed';
        }
        counters.writeRetries++;
        const old = (error as { Item?: Record<string, AttributeValue> }).Item;
        try {
          current = old ? fromAttributes(old) : await this.read(key);
        } catch (readError) {
          if (!isServiceError(readError)) throw readError;
          this.cache.delete(id);
          return 'failed';
        }
      }
    }
    this.cache.delete(id);
    return 'failed';
  }

  private async read(key: { pk: AttributeValue; sk: AttributeValue }): Promise<WindowItem | null> {
    const out = await this.o.ddb.send(
      new GetItemCommand({ TableName: this.o.tableName, Key: key, ConsistentRead: true }),
    );
    return out.Item ? fromAttributes(out.Item) : null;
  }

  /** Forgets warm state (tests: a new process). */
  reset(): void {
    this.cache.clear();
  }
}

function cloneItem(item: WindowItem): WindowItem {
  const copy: WindowItem = { key: item.key, version: item.version, fences: new Map(item.fences), count: item.count };
  if (item.metric) {
    const sketch = newSketch();
    mergeSketch(sketch, item.metric.sketch);
    copy.metric = { ...item.metric, sketch };
  }
  return copy;
}

function emptyCounters(records: number): BatchCounters {
  return {
    records,
    eventsIn: 0,
    windowsWritten: 0,
    late: 0,
    quarantined: 0,
    duplicatesSkipped: 0,
    recordsAlreadyApplied: 0,
    writeRetries: 0,
    failedWrites: 0,
    eventTimeLagMs: 0,
    maxEventTime: Number.NaN,
  };
}
