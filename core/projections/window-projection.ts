/**
 * The hot-path projection: a shard's records in, event-time windows in DynamoDB
 * out, with exactly-once effects. Two ways to run it:
 * - {@link WindowProjection.processBatch}: every batch writes the windows it touches
 *   (`flushIntervalSeconds: 0`, the lowest latency);
 * - {@link WindowProjection.processHeld}: batches fold into a {@link HeldState} that
 *   travels with Lambda's tumbling-window state, and the windows are written once per
 *   flush (the window's final invoke, or earlier when the state nears Lambda's 1 MB).
 *   A fleet's host then costs one write per window, not one per batch it appears in.
 *
 * Two fences make every effect happen once, whatever Kinesis and Lambda redeliver:
 * - each window item stores, per shard, the last stream position it absorbed;
 *   its write is conditional on its version, so events at or below the fence are
 *   never applied twice (redelivery, bisect, retries, a crash between writes or flushes);
 * - the shard checkpoint stores each producer's highest `producer_seq`, so a
 *   producer's retried duplicate (same identity, new sequence number) is skipped.
 *   It advances only over the records whose effects are all stored.
 * One conditional write per (item, batch or flush), never one per event; no item is
 * read before its write (a cache miss writes it as new and learns the stored item from
 * the failed condition).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type KinesisRecordLike, recordParts, StreamDecoder } from '#core/contract/consumer.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import type { WindowingConfig } from '#core/windows/config.js';
import {
  type DecodedRecord,
  type FoldResult,
  type ShardState,
  WINDOW_READERS,
  WindowFold,
  type WindowItemKey,
} from '#core/windows/fold.js';
import { compareSeq } from '#core/windows/position.js';
import { type Checkpoint, CheckpointStore } from './checkpoints.js';
import { ProjectionError } from './errors.js';
import { type HeldState, withFold } from './held-state.js';
import { absorbEvents, absorbPartial, WindowItemWriter, type WriteCounters } from './item-writer.js';
import { SideOutputStore } from './side-outputs.js';

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
export interface BatchCounters extends WriteCounters {
  records: number;
  eventsIn: number;
  late: number;
  quarantined: number;
  duplicatesSkipped: number;
  /** Records skipped because the checkpoint already covers them. */
  recordsAlreadyApplied: number;
  failedWrites: number;
  /** Checkpoint items written (their write units count in `writeUnits` too). */
  checkpointWrites: number;
  /** True when this invocation wrote its held windows (a flush; always true per batch). */
  flushed: boolean;
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
  /** Told of each window item as soon as its write is stored (local mode's latency to visible). */
  onWritten?: (key: WindowItemKey) => void;
}

/** What {@link WindowProjection.processHeld} returns: the batch's result and the state to hold next. */
export interface HeldBatchResult extends BatchResult {
  /** The state to return to Lambda; undefined after a flush (the next invocation starts from the checkpoint). */
  held: HeldState | undefined;
}

/** A flush could not store every held window: the invocation fails and is retried with the same state. */
export class FlushError extends ProjectionError {}

/** See the module comment. One instance per process; one batch per shard at a time. */
export class WindowProjection {
  private readonly decoder: StreamDecoder;
  private readonly checkpoints: CheckpointStore;
  private readonly sideOutputs: SideOutputStore;
  private readonly items: WindowItemWriter;
  private readonly o: Required<Omit<WindowProjectionOptions, 'parentsOf' | 'onWritten'>> &
    Pick<WindowProjectionOptions, 'parentsOf' | 'onWritten'>;

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
    this.items = new WindowItemWriter({
      ddb: options.ddb,
      tableName: options.tableName,
      ttlDays: options.config.ttlDays,
      writeConcurrency: this.o.writeConcurrency,
      maxConditionalAttempts: this.o.maxConditionalAttempts,
      cacheSize: this.o.cacheSize,
      onWritten: options.onWritten,
    });
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
   * The shard's checkpoint, read (strongly consistent) at the start of every batch, or of
   * every held window: Lambda may run a shard's consecutive batches in different processes,
   * so a checkpoint cached from an earlier batch could be stale, and decisions taken from
   * a stale state would be written before any conditional check could catch them.
   */
  private async checkpoint(shardId: string): Promise<Checkpoint> {
    const stored = await this.checkpoints.get(shardId);
    return stored ?? (await this.checkpoints.seed(shardId, (await this.o.parentsOf?.(shardId)) ?? []));
  }

  /** Folds records onto a state, telling the listeners of each decoded record when `observe`. */
  private fold(state: ShardState, records: readonly BatchRecord[], observe: boolean): FoldResult {
    const folder = new WindowFold(state, this.o.config);
    for (const r of records) {
      const decoded = this.decodeRecord(r); // garbage right after the fold
      if (observe) for (const listener of this.decodedListeners) listener(decoded);
      folder.add(decoded);
    }
    return folder.finish();
  }

  /**
   * Folds a batch and stores its side outputs. On a side-output failure the result covers
   * only the records before it (folded again: the rare path), and `failedAt` names it.
   */
  private async foldBatch(
    shardId: string,
    state: ShardState,
    fresh: readonly BatchRecord[],
    counters: BatchCounters,
  ): Promise<{ fold: FoldResult; applied: readonly BatchRecord[]; failedAt?: string }> {
    const fold = this.fold(state, fresh, true);
    counters.eventsIn = fold.eventsIn;
    counters.late = fold.late.length;
    counters.quarantined = fold.quarantined.length;
    counters.duplicatesSkipped = fold.duplicates;
    let failedAt: string | undefined;
    for (const f of await this.sideOutputs.write(shardId, fold.quarantined, fold.late)) {
      if (failedAt === undefined || compareSeq(f.sequenceNumber, failedAt) < 0) failedAt = f.sequenceNumber;
    }
    if (failedAt === undefined) return { fold, applied: fresh };
    const stop = failedAt;
    const applied = fresh.filter((r) => compareSeq(r.sequenceNumber, stop) < 0);
    return { fold: this.fold(state, applied, false), applied, failedAt };
  }

  /**
   * Processes one batch of one shard, records in stream order, and writes every window it
   * touches (`flushIntervalSeconds: 0`).
   * @throws only what is not a DynamoDB answer (the invocation then fails and Lambda retries it)
   */
  async processBatch(shardId: string, batch: readonly BatchRecord[]): Promise<BatchResult> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.tryBatch(shardId, batch);
      if (result !== 'stale-checkpoint') return result;
      // Another invocation moved this shard's checkpoint: reload everything and replay.
      this.items.reset();
      if (attempt >= 2) {
        return { failedSequenceNumber: batch[0]?.sequenceNumber, counters: emptyCounters(batch.length) };
      }
    }
  }

  private async tryBatch(shardId: string, batch: readonly BatchRecord[]): Promise<BatchResult | 'stale-checkpoint'> {
    const cp = await this.checkpoint(shardId);
    const counters = emptyCounters(batch.length);
    counters.flushed = true;
    const fresh = batch.filter((r) => cp.sequenceNumber === '' || compareSeq(r.sequenceNumber, cp.sequenceNumber) > 0);
    counters.recordsAlreadyApplied = batch.length - fresh.length;
    if (fresh.length === 0) return { counters };
    const { fold, applied, failedAt: sideFailure } = await this.foldBatch(shardId, cp.state, fresh, counters);

    // Every failure is reported at the record it happened in; the lowest one wins.
    let failedAt = sideFailure;
    const fail = (seq: string) => {
      if (failedAt === undefined || compareSeq(seq, failedAt) < 0) failedAt = seq;
    };
    const table = fold.table;
    await this.items.each(fold.contributions, async (c) => {
      const outcome = await this.items.write(
        shardId,
        c.key,
        (item, fence) => absorbEvents(item, c, table, fence),
        counters,
      );
      if (outcome === 'failed') {
        counters.failedWrites++;
        // Lambda retries from the contribution's first record; fences skip what was applied.
        fail(table.seqs[c.events[0] as number] as string);
      }
    });

    // Advance the checkpoint over the records before the first failure only.
    let state = fold.state;
    let lastSeq = (applied[applied.length - 1] as BatchRecord | undefined)?.sequenceNumber;
    if (failedAt !== undefined && failedAt !== sideFailure) {
      const stop = failedAt;
      const prefix = applied.filter((r) => compareSeq(r.sequenceNumber, stop) < 0);
      state = this.fold(cp.state, prefix, false).state;
      lastSeq = (prefix[prefix.length - 1] as BatchRecord | undefined)?.sequenceNumber;
    }
    if (lastSeq === undefined) return { failedSequenceNumber: failedAt, counters };
    const put = await this.checkpoints.put(
      { ...cp, sequenceNumber: lastSeq, state, version: cp.version + 1 },
      cp.version,
    );
    counters.writeUnits += put.writeUnits;
    if (!put.stored) return 'stale-checkpoint';
    counters.checkpointWrites++;
    this.stampLag(counters, fold.maxEventTime);
    return failedAt === undefined ? { counters } : { failedSequenceNumber: failedAt, counters };
  }

  /**
   * Processes one invocation of a tumbling window: folds the batch into the held state
   * (`held`, undefined at a window's start: the shard's checkpoint is read), stores its
   * side outputs, and writes the held windows at the window's final invoke (`flush`).
   *
   * A flush only ever writes a state that every retry of this invocation rebuilds
   * exactly, because a failed flush may have written some items, and the fences can only
   * tell "all of this partial" from "none of it":
   * - the state Lambda handed in (`held`), when it has grown past nine tenths of the
   *   budget: every retry and every bisected half of this batch brings that same state;
   * - the final invoke's state (retried as it is until it succeeds);
   * - a fresh state plus the batch's first record, when that record alone outgrows the budget.
   * A batch that would take the state past `budgetBytes` (Lambda ends a window early past
   * 1 MB) is cut instead: the state of the records that fit is returned with a partial
   * batch failure at the first record that did not, and Lambda retries the rest with it.
   *
   * A side-output failure is reported at its record, and the returned state covers only
   * the records before it. A flush that cannot store every window throws
   * {@link FlushError}: Lambda retries the invocation with the state it had, and the
   * position fences skip what the failed attempt stored.
   */
  async processHeld(
    shardId: string,
    batch: readonly BatchRecord[],
    held: HeldState | undefined,
    options: { flush: boolean; budgetBytes: number; sizeOf: (h: HeldState) => number },
  ): Promise<HeldBatchResult> {
    const counters = emptyCounters(batch.length);
    let h = held ?? (await this.startHeld(shardId));
    if (held && !options.flush && options.sizeOf(held) > options.budgetBytes * PRE_FLUSH_SHARE) {
      h = await this.flushAndRestart(shardId, held, counters);
    }
    const after = h.lastSeq || h.checkpointSeq;
    const fresh = batch.filter((r) => after === '' || compareSeq(r.sequenceNumber, after) > 0);
    counters.recordsAlreadyApplied = batch.length - fresh.length;
    let failedAt: string | undefined;
    const fail = (seq: string | undefined) => {
      if (seq !== undefined && (failedAt === undefined || compareSeq(seq, failedAt) < 0)) failedAt = seq;
    };
    let applied: readonly BatchRecord[] = [];
    let next = h;
    if (fresh.length > 0) {
      const folded = await this.foldBatch(shardId, h.fold, fresh, counters);
      fail(folded.failedAt);
      applied = folded.applied;
      next = withFold(h, folded.fold, applied);
    }
    const result = (state: HeldState | undefined): HeldBatchResult =>
      failedAt === undefined ? { counters, held: state } : { failedSequenceNumber: failedAt, counters, held: state };
    if (options.flush) {
      await this.flushHeld(shardId, next, counters);
      return result(undefined);
    }
    if (options.sizeOf(next) <= options.budgetBytes) return result(next);

    if (applied.length === 0) {
      // (only a state handed in over the budget gets here: write it on its own)
      return result(h.partials.size > 0 ? await this.flushAndRestart(shardId, h, counters) : h);
    }
    // Too large: keep the longest prefix that fits (a binary search; rare) and cut the batch after it.
    const fits = (k: number) =>
      options.sizeOf(withFold(h, this.fold(h.fold, applied.slice(0, k), false), applied.slice(0, k))) <=
      options.budgetBytes;
    let lo = 0;
    let hi = applied.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    if (lo > 0) {
      fail((applied[lo] as BatchRecord).sequenceNumber);
      const prefix = applied.slice(0, lo);
      return result(withFold(h, this.fold(h.fold, prefix, false), prefix));
    }
    // The first record alone does not fit: write what is held, then that record on its own.
    if (h.partials.size > 0) h = await this.flushAndRestart(shardId, h, counters);
    const first = applied.slice(0, 1);
    const alone = withFold(h, this.fold(h.fold, first, false), first);
    fail(applied[1]?.sequenceNumber);
    if (options.sizeOf(alone) <= options.budgetBytes) return result(alone);
    await this.flushHeld(shardId, alone, counters);
    return result(undefined);
  }

  /** Writes a held state and starts a new one from the checkpoint it stored. */
  private async flushAndRestart(shardId: string, h: HeldState, counters: BatchCounters): Promise<HeldState> {
    await this.flushHeld(shardId, h, counters);
    return this.startHeld(shardId);
  }

  /** The held state a window starts from: the shard's checkpoint, nothing held. */
  private async startHeld(shardId: string): Promise<HeldState> {
    const cp = await this.checkpoint(shardId);
    return {
      checkpointVersion: cp.version,
      checkpointSeq: cp.sequenceNumber,
      parents: cp.parents,
      lastSeq: '',
      fold: cp.state,
      partials: new Map(),
      maxEventTime: Number.NaN,
    };
  }

  /** Writes every held window, then the checkpoint. @throws FlushError when a write could not be stored */
  private async flushHeld(shardId: string, h: HeldState, counters: BatchCounters): Promise<void> {
    counters.flushed = true;
    let failed = 0;
    await this.items.each([...h.partials.values()], async (p) => {
      const outcome = await this.items.write(shardId, p.key, (item, fence) => absorbPartial(item, p, fence), counters);
      if (outcome === 'failed') failed++;
    });
    if (failed > 0) {
      counters.failedWrites += failed;
      throw new FlushError(
        `${failed} of ${h.partials.size} held windows of ${shardId} could not be written (throttled or failing after the SDK's retries): the invocation is retried with the same state`,
      );
    }
    if (h.lastSeq === '') return; // nothing folded since the checkpoint
    const cp: Checkpoint = {
      shardId,
      sequenceNumber: h.lastSeq,
      state: h.fold,
      version: h.checkpointVersion + 1,
      parents: h.parents,
    };
    const put = await this.checkpoints.put(cp, h.checkpointVersion);
    counters.writeUnits += put.writeUnits;
    if (!put.stored) {
      // A retry of a flush whose checkpoint landed finds its own checkpoint (or a later one): done.
      const stored = await this.checkpoints.get(shardId);
      if (!stored || compareSeq(stored.sequenceNumber, h.lastSeq) < 0) {
        throw new FlushError(
          `the checkpoint of ${shardId} moved to version ${stored?.version ?? 0} while this state held version ${h.checkpointVersion}: another invocation processed the shard; retrying from the stored checkpoint`,
        );
      }
    } else counters.checkpointWrites++;
    this.stampLag(counters, h.maxEventTime);
  }

  private stampLag(counters: BatchCounters, maxEventTime: number): void {
    if (Number.isFinite(maxEventTime)) {
      counters.maxEventTime = maxEventTime;
      counters.eventTimeLagMs = Math.max(0, this.o.now() - maxEventTime);
    }
  }

  /** Forgets warm state (tests: a new process). */
  reset(): void {
    this.items.reset();
  }
}

/**
 * A state's share of the budget past which it is flushed on its own before a batch is
 * folded in. The rest is room for one batch's growth (a fleet shard's second adds tens
 * of KB); a batch that needs more is cut, at the cost of one more invocation.
 */
const PRE_FLUSH_SHARE = 0.9;

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
    writeUnits: 0,
    checkpointWrites: 0,
    flushed: false,
    eventTimeLagMs: 0,
    maxEventTime: Number.NaN,
  };
}
