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
 *
 * Its parts: per-batch-writes.ts and held-windows.ts (the two modes),
 * projection-context.ts (decoding, checkpoint, fold and side outputs, shared by both),
 * batch-record.ts (records in, counters and results out).
 */
import type { DecodedRecord } from '#core/windows/fold.js';
import type { BatchRecord, BatchResult, HeldBatchResult } from './batch-record.js';
import type { HeldState } from './held-state.js';
import { processHeld } from './held-windows.js';
import { processBatch } from './per-batch-writes.js';
import { ProjectionContext, type WindowProjectionOptions } from './projection-context.js';

export type { BatchCounters, BatchRecord, BatchResult, HeldBatchResult } from './batch-record.js';
export { FlushError } from './errors.js';
export type { WindowProjectionOptions } from './projection-context.js';

/** See the module comment. One instance per process; one batch per shard at a time. */
export class WindowProjection {
  private readonly ctx: ProjectionContext;

  constructor(options: WindowProjectionOptions) {
    this.ctx = new ProjectionContext(options);
  }

  /**
   * Calls `listener` with each new record of a batch as it is decoded, once per
   * delivery (redelivered and duplicate events included), so observers such as the
   * fleet metrics need no second decode.
   */
  onDecoded(listener: (record: DecodedRecord) => void): void {
    this.ctx.onDecoded(listener);
  }

  /** Decodes a record once; poison user records stay with their bytes. */
  decodeRecord(r: BatchRecord): DecodedRecord {
    return this.ctx.decodeRecord(r);
  }

  /**
   * Processes one batch of one shard, records in stream order, and writes every window it
   * touches (`flushIntervalSeconds: 0`). See per-batch-writes.ts.
   * @throws only what is not a DynamoDB answer (the invocation then fails and Lambda retries it)
   */
  processBatch(shardId: string, batch: readonly BatchRecord[]): Promise<BatchResult> {
    return processBatch(this.ctx, shardId, batch);
  }

  /**
   * Processes one invocation of a tumbling window: folds the batch into the held state
   * and writes the held windows at the window's final invoke (`flush`), or earlier when
   * the state nears `budgetBytes`. See held-windows.ts for which states a flush may write.
   * @throws FlushError when a flush could not store every window (Lambda retries with the same state)
   */
  processHeld(
    shardId: string,
    batch: readonly BatchRecord[],
    held: HeldState | undefined,
    options: { flush: boolean; budgetBytes: number; sizeOf: (h: HeldState) => number },
  ): Promise<HeldBatchResult> {
    return processHeld(this.ctx, shardId, batch, held, options);
  }

  /** Forgets warm state (tests: a new process). */
  reset(): void {
    this.ctx.items.reset();
  }
}
