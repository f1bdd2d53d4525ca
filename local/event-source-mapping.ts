/**
 * A local Kinesis event source mapping with Lambda's documented behaviour, used
 * by local mode and by the hot path's oracle tests:
 * - one ordered poller per shard; a child shard starts after its parents are drained;
 *   reads as Lambda's poller makes them (./shard-poller.ts: iterators kept, batch size,
 *   batching window, 6 MB payload, backoff on an unreachable stream);
 * - `batchItemFailures` (ReportBatchItemFailures): checkpoint before the lowest
 *   reported record and retry from it;
 * - a function error: bisect, retry attempts and maximum record age as Lambda applies
 *   them (./retry-policy.ts); records past a limit go to the on-failure destination
 *   (with their payload, as an S3 destination keeps it) and the shard moves on;
 * - tumbling windows (`tumblingWindowSeconds`, stateful processing; ./tumbling-window.ts):
 *   per shard, fixed epoch-aligned windows of record arrival time, a state carried from
 *   invocation to invocation of a window, a final invocation when the window ends, and an
 *   early end of the window when its state passes 1 MB (see
 *   {@link EventSourceMappingOptions.tumblingWindowSeconds}).
 */
import type { Shard } from '@aws-sdk/client-kinesis';
import { parentShardIds } from '#core/clients/kinesis.js';
import type {
  BatchResponse,
  LambdaKinesisEventRecord,
  LambdaKinesisWindowEvent,
  WindowBatchResponse,
} from '#core/lambda/events.js';
import {
  type DiscardedBatch,
  type EventSourceMappingOptions,
  emptyMappingStats,
  type MappingStats,
  type ResolvedMappingOptions,
  resolveMappingOptions,
} from './mapping-options.js';
import { RetryPolicy } from './retry-policy.js';
import { ShardPoller, type ShardProgress } from './shard-poller.js';
import { stateIsFull, stateJson, type TumblingWindow, windowEvent } from './tumbling-window.js';

export {
  type DiscardedBatch,
  type EventSourceMappingOptions,
  type InvokeInfo,
  type MappingStats,
  MappingOptionsError,
  type OnFailureDestination,
} from './mapping-options.js';

/** The local event source mapping (see the module comment). */
export class KinesisEventSourceMapping {
  /** Counters of this mapping's run. */
  readonly stats: MappingStats = emptyMappingStats();
  private readonly o: ResolvedMappingOptions;
  private readonly poller: ShardPoller;
  private readonly retries: RetryPolicy;
  private readonly shards = new Map<string, ShardProgress>();
  private stopped = false;
  /** Why {@link run} stopped on its own (a poller gave up). */
  private failure: unknown;

  /** @throws MappingOptionsError for a setting outside Lambda's range */
  constructor(options: EventSourceMappingOptions) {
    this.o = resolveMappingOptions(options);
    this.poller = new ShardPoller(this.o, this.stats);
    this.retries = new RetryPolicy(this.o);
  }

  /**
   * Checkpoints per shard (sequence number of the last record done), for status and
   * restarts. With tumbling windows, a shard whose window holds a state reports where
   * the window began (its records are done only once its final invocation succeeded).
   */
  positions(): Record<string, string | undefined> {
    return Object.fromEntries(
      [...this.shards.values()].map((s) => [s.shardId, s.window?.invoked ? s.window.startAfter : s.after]),
    );
  }

  /** Resumes shards from saved positions (a restart). */
  resumeFrom(positions: Record<string, string | undefined>): void {
    for (const [shardId, after] of Object.entries(positions)) {
      this.shards.set(shardId, { shardId, parents: [], after, drained: false });
    }
  }

  /**
   * Processes every shard until no shard has unread records (parents before children).
   * Resolves with the stats; for a long-running mapping use {@link run}. With tumbling
   * windows, a shard that is caught up has its window's final invocation at once
   * rather than at the window's end ({@link run} waits for the end).
   */
  async drain(): Promise<MappingStats> {
    for (;;) {
      const progressed = await this.pass();
      if (!progressed) return this.stats;
    }
  }

  /** Polls until {@link stop} is called. */
  async run(): Promise<void> {
    // One independent poller per shard, as Lambda runs them: a slow shard never holds up another.
    const pollers = new Map<string, Promise<void>>();
    while (!this.stopped) {
      for (const s of (await this.poller.listShards()) ?? []) this.track(s);
      for (const shard of this.shards.values()) {
        if (!pollers.has(shard.shardId)) {
          // A poller that gives up stops the whole mapping, and run() rejects with its error.
          const poller = this.pollForever(shard).catch((error: unknown) => {
            this.failure ??= error;
            this.stop();
          });
          pollers.set(shard.shardId, poller);
        }
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await Promise.all(pollers.values());
    if (this.failure !== undefined) throw this.failure;
  }

  private async pollForever(shard: ShardProgress): Promise<void> {
    while (!this.stopped && !shard.drained) {
      const parentsDone = shard.parents.every((p) => this.shards.get(p)?.drained ?? true);
      const progressed = parentsDone ? await this.pollShard(shard, false) : false;
      if (!progressed) await new Promise((r) => setTimeout(r, this.o.pollIntervalMs));
    }
  }

  /** Stops {@link run} after the current batches. */
  stop(): void {
    this.stopped = true;
  }

  /** One round over the shards that may run; true when any records were processed. */
  private async pass(): Promise<boolean> {
    const all = await this.poller.listShards();
    if (!all) return true; // the stream did not answer: not drained, try again
    for (const s of all) this.track(s);
    const ready = [...this.shards.values()].filter(
      (s) => !s.drained && s.parents.every((p) => this.shards.get(p)?.drained ?? true),
    );
    const results = await Promise.all(ready.map((s) => this.pollShard(s, true)));
    return results.some(Boolean);
  }

  private track(s: Shard): void {
    const id = s.ShardId as string;
    const parents = parentShardIds(s);
    const have = this.shards.get(id);
    if (have) have.parents = parents;
    else this.shards.set(id, { shardId: id, parents, drained: false });
  }

  /**
   * Reads one batch from a shard and delivers it; true when records were delivered (or a
   * window closed). `endCaughtUpWindow`: a caught-up shard's window ends now ({@link drain}).
   */
  private async pollShard(shard: ShardProgress, endCaughtUpWindow: boolean): Promise<boolean> {
    const read = await this.poller.readBatch(shard);
    if (!read) return true; // the stream did not answer: not drained, try again
    const { records, closedAtEnd, windowEnded } = read;
    if (records.length === 0) {
      // The next record is in a later window: this one is over.
      if (windowEnded) {
        await this.closeWindow(shard);
        return true;
      }
      if (closedAtEnd) {
        // The shard's last window closes before its children start.
        if (await this.closeWindow(shard)) shard.drained = true;
        return true; // its children may start now
      }
      // Caught up: a window whose end has passed gets no more records.
      const w = shard.window;
      if (w && (this.o.now() >= w.end || (endCaughtUpWindow && w.invoked))) {
        const invoked = w.invoked;
        await this.closeWindow(shard);
        return invoked;
      }
      return false;
    }
    const complete = await this.deliver(
      shard,
      records.map((r) => this.poller.toEventRecord(shard.shardId, r)),
    );
    if (complete && windowEnded) await this.closeWindow(shard);
    return true;
  }

  /**
   * Delivers records in order until each is done or discarded; advances the shard's
   * checkpoint (and, with tumbling windows, the window's state). False when the mapping
   * stopped while the window's early end was failing: the rest is left undone.
   */
  private async deliver(shard: ShardProgress, records: LambdaKinesisEventRecord[]): Promise<boolean> {
    // Work list of contiguous slices, in order; bisection replaces a slice with its halves.
    const work: LambdaKinesisEventRecord[][] = [records];
    while (work.length > 0) {
      // Expired records never reach the function.
      const { expired, fresh: batch } = this.retries.splitExpired(work.shift() as LambdaKinesisEventRecord[]);
      if (expired.length > 0) await this.discard(shard, expired, 'RecordAgeExceeded');
      if (batch.length === 0) continue;
      this.stats.invocations++;
      this.stats.recordsDelivered += batch.length;
      // With tumbling windows, the poller opened the window of these records.
      const window = shard.window;
      let response: BatchResponse | WindowBatchResponse | void;
      let state: string | undefined;
      try {
        response = await this.o.fn(window ? this.windowEvent(shard, window, batch, false) : { Records: batch });
        if (window) {
          state = stateJson(response);
          // Lambda's rule: a response without a state is a failed invocation.
          if (state === undefined) throw new Error('response without a state');
        }
      } catch {
        // The window's state stays as it was before this invocation (it goes with the checkpoint).
        this.stats.functionErrors++;
        this.o.onInvoke?.({ shardId: shard.shardId, records: batch.length, outcome: 'error' });
        const halves = this.retries.bisect(batch);
        if (halves) {
          this.stats.bisections++;
          work.unshift(...halves);
        } else if (await this.retryOrDiscard(shard, batch)) work.unshift(batch);
        continue;
      }
      const failures = response?.batchItemFailures ?? [];
      if (failures.length > 0) {
        this.stats.partialFailures++;
        this.o.onInvoke?.({ shardId: shard.shardId, records: batch.length, outcome: 'partial' });
        const failed = new Set(failures.map((f) => f.itemIdentifier));
        const at = batch.findIndex((r) => failed.has(r.kinesis.sequenceNumber));
        // An identifier that is not in the batch fails the whole batch (Lambda's rule).
        const from = at < 0 ? 0 : at;
        // The returned state covers the records done; none done, none taken.
        this.done(shard, batch.slice(0, from), from > 0 ? state : undefined);
        if (!(await this.endWindowEarlyIfFull(shard))) return false;
        const rest = batch.slice(from);
        if (await this.retryOrDiscard(shard, rest)) work.unshift(rest);
        continue;
      }
      if (this.o.redeliver?.(batch)) {
        this.stats.redeliveries++;
        this.o.onInvoke?.({ shardId: shard.shardId, records: batch.length, outcome: 'redelivered' });
        work.unshift(batch);
        continue;
      }
      this.o.onInvoke?.({ shardId: shard.shardId, records: batch.length, outcome: 'ok' });
      this.done(shard, batch, state);
      if (!(await this.endWindowEarlyIfFull(shard))) return false;
    }
    return true;
  }

  /** Moves the checkpoint past `records`, and with it the window's state to `state` (its JSON) when given. */
  private done(shard: ShardProgress, records: LambdaKinesisEventRecord[], state?: string): void {
    const last = records[records.length - 1];
    if (!last) return;
    if (state !== undefined && shard.window) {
      shard.window.state = state;
      shard.window.invoked = true;
    }
    shard.after = last.kinesis.sequenceNumber;
    this.retries.forget(records);
    this.o.onCheckpoint?.(this.positions());
  }

  /** A window's event for this mapping's shard (see ./tumbling-window.ts). */
  private windowEvent(
    shard: ShardProgress,
    w: TumblingWindow,
    records: LambdaKinesisEventRecord[],
    final: boolean,
    early = false,
  ): LambdaKinesisWindowEvent {
    return windowEvent(w, { shardId: shard.shardId, eventSourceARN: this.poller.streamArn }, records, final, early);
  }

  /**
   * A window's final invocation (no records), retried with backoff until it succeeds: the
   * shard waits meanwhile, as Lambda suspends it. False when the mapping stopped first.
   */
  private async finalInvoke(shard: ShardProgress, w: TumblingWindow, early: boolean): Promise<boolean> {
    for (let n = 1; ; n++) {
      this.stats.invocations++;
      let ok: boolean;
      try {
        // Its returned state is dropped, but it must have one as any window response.
        ok = stateJson(await this.o.fn(this.windowEvent(shard, w, [], true, early))) !== undefined;
      } catch {
        ok = false;
      }
      if (ok) {
        this.stats.finalInvocations++;
        this.o.onInvoke?.({ shardId: shard.shardId, records: 0, outcome: 'ok', final: true });
        return true;
      }
      this.stats.functionErrors++;
      this.o.onInvoke?.({ shardId: shard.shardId, records: 0, outcome: 'error', final: true });
      if (this.stopped) return false;
      await new Promise((r) => setTimeout(r, Math.min(500, 2 ** (n - 1))));
    }
  }

  /**
   * Ends the shard's window: its final invocation if it holds a state; the next record
   * then opens a new window with `{}`. False when the mapping stopped before the final
   * invocation succeeded (the window stays open).
   */
  private async closeWindow(shard: ShardProgress): Promise<boolean> {
    const w = shard.window;
    if (!w) return true;
    if (w.invoked && !(await this.finalInvoke(shard, w, false))) return false;
    shard.window = undefined;
    if (w.invoked) this.o.onCheckpoint?.(this.positions()); // its records are done now
    return true;
  }

  /**
   * Ends the shard's window early when its state passed 1 MB: a final invocation with
   * that state, then the same window goes on with `{}`. False when the mapping stopped first.
   */
  private async endWindowEarlyIfFull(shard: ShardProgress): Promise<boolean> {
    const w = shard.window;
    if (!w || !stateIsFull(w)) return true;
    this.stats.windowsTerminatedEarly++;
    if (!(await this.finalInvoke(shard, w, true))) return false;
    w.state = '{}';
    w.invoked = false;
    w.startAfter = shard.after;
    this.o.onCheckpoint?.(this.positions());
    return true;
  }

  /** Counts a failed attempt of `records`; true to retry them, false after discarding them. */
  private async retryOrDiscard(shard: ShardProgress, records: LambdaKinesisEventRecord[]): Promise<boolean> {
    if (await this.retries.retry(records)) return true;
    await this.discard(shard, records, 'RetryAttemptsExhausted');
    return false;
  }

  /** Sends records to the on-failure destination, then moves the checkpoint past them. */
  private async discard(
    shard: ShardProgress,
    records: LambdaKinesisEventRecord[],
    reason: DiscardedBatch['reason'],
  ): Promise<void> {
    this.stats.discardedRecords += records.length;
    await this.o.onFailure.send({
      shardId: shard.shardId,
      reason,
      startSequenceNumber: records[0]?.kinesis.sequenceNumber as string,
      endSequenceNumber: records[records.length - 1]?.kinesis.sequenceNumber as string,
      records,
    });
    this.done(shard, records);
  }
}
