/**
 * The steps both modes of the window projection share: decoding a record once,
 * reading a shard's checkpoint, folding records onto a shard's state, and storing
 * a fold's side outputs. Holds the stores and the decoder, built once per process.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { recordParts, StreamDecoder } from '#core/contract/consumer.js';
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
import type { BatchCounters, BatchRecord } from './batch-record.js';
import { type Checkpoint, CheckpointStore } from './checkpoints.js';
import { WindowItemWriter } from './item-writer.js';
import { SideOutputStore } from './side-outputs.js';

/** Settings and clients of a window projection. */
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

/** The stores, decoder and shared steps of one window projection. */
export class ProjectionContext {
  readonly checkpoints: CheckpointStore;
  readonly items: WindowItemWriter;
  private readonly decoder: StreamDecoder;
  private readonly sideOutputs: SideOutputStore;
  private readonly decodedListeners: ((record: DecodedRecord) => void)[] = [];
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

  /** Adds a listener told of each record as it is decoded in a batch (see WindowProjection.onDecoded). */
  onDecoded(listener: (record: DecodedRecord) => void): void {
    this.decodedListeners.push(listener);
  }

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
  async checkpoint(shardId: string): Promise<Checkpoint> {
    const stored = await this.checkpoints.get(shardId);
    return stored ?? (await this.checkpoints.seed(shardId, (await this.o.parentsOf?.(shardId)) ?? []));
  }

  /** Folds records onto a state, telling the listeners of each decoded record when `observe`. */
  fold(state: ShardState, records: readonly BatchRecord[], observe: boolean): FoldResult {
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
  async foldBatch(
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

  /** Records the latest event time applied and the event-time lag it makes now. */
  stampLag(counters: BatchCounters, maxEventTime: number): void {
    if (Number.isFinite(maxEventTime)) {
      counters.maxEventTime = maxEventTime;
      counters.eventTimeLagMs = Math.max(0, this.o.now() - maxEventTime);
    }
  }
}
