/**
 * The window projection's per-batch mode (`flushIntervalSeconds: 0`, the lowest
 * latency): every batch writes the windows it touches, then advances the shard's
 * checkpoint over the records whose effects are all stored.
 */
import { compareSeq } from '#core/windows/position.js';
import { type BatchRecord, type BatchResult, emptyCounters } from './batch-record.js';
import { absorbEvents } from './item-writer.js';
import type { ProjectionContext } from './projection-context.js';

/**
 * Processes one batch of one shard, records in stream order, and writes every window it
 * touches. A checkpoint moved by another invocation reloads everything and replays
 * (twice at most; the batch then fails from its first record).
 * @throws only what is not a DynamoDB answer (the invocation then fails and Lambda retries it)
 */
export async function processBatch(
  ctx: ProjectionContext,
  shardId: string,
  batch: readonly BatchRecord[],
): Promise<BatchResult> {
  for (let attempt = 0; ; attempt++) {
    const result = await tryBatch(ctx, shardId, batch);
    if (result !== 'stale-checkpoint') return result;
    // Another invocation moved this shard's checkpoint: reload everything and replay.
    ctx.items.reset();
    if (attempt >= 2) {
      return { failedSequenceNumber: batch[0]?.sequenceNumber, counters: emptyCounters(batch.length) };
    }
  }
}

async function tryBatch(
  ctx: ProjectionContext,
  shardId: string,
  batch: readonly BatchRecord[],
): Promise<BatchResult | 'stale-checkpoint'> {
  const cp = await ctx.checkpoint(shardId);
  const counters = emptyCounters(batch.length);
  counters.flushed = true;
  const fresh = batch.filter((r) => cp.sequenceNumber === '' || compareSeq(r.sequenceNumber, cp.sequenceNumber) > 0);
  counters.recordsAlreadyApplied = batch.length - fresh.length;
  if (fresh.length === 0) return { counters };
  const { fold, applied, failedAt: sideFailure } = await ctx.foldBatch(shardId, cp.state, fresh, counters);

  // Every failure is reported at the record it happened in; the lowest one wins.
  let failedAt = sideFailure;
  const fail = (seq: string) => {
    if (failedAt === undefined || compareSeq(seq, failedAt) < 0) failedAt = seq;
  };
  const table = fold.table;
  await ctx.items.each(fold.contributions, async (c) => {
    const outcome = await ctx.items.write(
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
    state = ctx.fold(cp.state, prefix, false).state;
    lastSeq = (prefix[prefix.length - 1] as BatchRecord | undefined)?.sequenceNumber;
  }
  if (lastSeq === undefined) return { failedSequenceNumber: failedAt, counters };
  const put = await ctx.checkpoints.put({ ...cp, sequenceNumber: lastSeq, state, version: cp.version + 1 }, cp.version);
  counters.writeUnits += put.writeUnits;
  if (!put.stored) return 'stale-checkpoint';
  counters.checkpointWrites++;
  ctx.stampLag(counters, fold.maxEventTime);
  return failedAt === undefined ? { counters } : { failedSequenceNumber: failedAt, counters };
}
