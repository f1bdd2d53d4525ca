/**
 * The window projection's held mode: batches fold into a {@link HeldState} that travels
 * with Lambda's tumbling-window state, and the windows are written once per flush (the
 * window's final invoke, or earlier when the state nears Lambda's 1 MB). A fleet's host
 * then costs one write per window, not one per batch it appears in.
 */
import { compareSeq } from '#core/windows/position.js';
import { type BatchCounters, type BatchRecord, emptyCounters, type HeldBatchResult } from './batch-record.js';
import type { Checkpoint } from './checkpoints.js';
import { FlushError } from './errors.js';
import { type HeldState, withFold } from './held-state.js';
import { absorbPartial } from './item-writer.js';
import type { ProjectionContext } from './projection-context.js';

/**
 * A state's share of the budget past which it is flushed on its own before a batch is
 * folded in. The rest is room for one batch's growth (a fleet shard's second adds tens
 * of KB); a batch that needs more is cut, at the cost of one more invocation.
 */
const PRE_FLUSH_SHARE = 0.9;

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
export async function processHeld(
  ctx: ProjectionContext,
  shardId: string,
  batch: readonly BatchRecord[],
  held: HeldState | undefined,
  options: { flush: boolean; budgetBytes: number; sizeOf: (h: HeldState) => number },
): Promise<HeldBatchResult> {
  const counters = emptyCounters(batch.length);
  let h = held ?? (await startHeld(ctx, shardId));
  if (held && !options.flush && options.sizeOf(held) > options.budgetBytes * PRE_FLUSH_SHARE) {
    h = await flushAndRestart(ctx, shardId, held, counters);
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
    const folded = await ctx.foldBatch(shardId, h.fold, fresh, counters);
    fail(folded.failedAt);
    applied = folded.applied;
    next = withFold(h, folded.fold, applied);
  }
  const result = (state: HeldState | undefined): HeldBatchResult =>
    failedAt === undefined ? { counters, held: state } : { failedSequenceNumber: failedAt, counters, held: state };
  if (options.flush) {
    await flushHeld(ctx, shardId, next, counters);
    return result(undefined);
  }
  if (options.sizeOf(next) <= options.budgetBytes) return result(next);

  if (applied.length === 0) {
    // (only a state handed in over the budget gets here: write it on its own)
    return result(h.partials.size > 0 ? await flushAndRestart(ctx, shardId, h, counters) : h);
  }
  // Too large: keep the longest prefix that fits (a binary search; rare) and cut the batch after it.
  const fits = (k: number) =>
    options.sizeOf(withFold(h, ctx.fold(h.fold, applied.slice(0, k), false), applied.slice(0, k))) <=
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
    return result(withFold(h, ctx.fold(h.fold, prefix, false), prefix));
  }
  // The first record alone does not fit: write what is held, then that record on its own.
  if (h.partials.size > 0) h = await flushAndRestart(ctx, shardId, h, counters);
  const first = applied.slice(0, 1);
  const alone = withFold(h, ctx.fold(h.fold, first, false), first);
  fail(applied[1]?.sequenceNumber);
  if (options.sizeOf(alone) <= options.budgetBytes) return result(alone);
  await flushHeld(ctx, shardId, alone, counters);
  return result(undefined);
}

/** Writes a held state and starts a new one from the checkpoint it stored. */
async function flushAndRestart(
  ctx: ProjectionContext,
  shardId: string,
  h: HeldState,
  counters: BatchCounters,
): Promise<HeldState> {
  await flushHeld(ctx, shardId, h, counters);
  return startHeld(ctx, shardId);
}

/** The held state a window starts from: the shard's checkpoint, nothing held. */
async function startHeld(ctx: ProjectionContext, shardId: string): Promise<HeldState> {
  const cp = await ctx.checkpoint(shardId);
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
async function flushHeld(
  ctx: ProjectionContext,
  shardId: string,
  h: HeldState,
  counters: BatchCounters,
): Promise<void> {
  counters.flushed = true;
  let failed = 0;
  await ctx.items.each([...h.partials.values()], async (p) => {
    const outcome = await ctx.items.write(shardId, p.key, (item, fence) => absorbPartial(item, p, fence), counters);
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
  const put = await ctx.checkpoints.put(cp, h.checkpointVersion);
  counters.writeUnits += put.writeUnits;
  if (!put.stored) {
    // A retry of a flush whose checkpoint landed finds its own checkpoint (or a later one): done.
    const stored = await ctx.checkpoints.get(shardId);
    if (!stored || compareSeq(stored.sequenceNumber, h.lastSeq) < 0) {
      throw new FlushError(
        `the checkpoint of ${shardId} moved to version ${stored?.version ?? 0} while this state held version ${h.checkpointVersion}: another invocation processed the shard; retrying from the stored checkpoint`,
      );
    }
  } else counters.checkpointWrites++;
  ctx.stampLag(counters, h.maxEventTime);
}
