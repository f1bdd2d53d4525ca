/**
 * A local Kinesis event source mapping with Lambda's documented behaviour, used
 * by local mode and by the hot path's oracle tests:
 * - one ordered poller per shard; a child shard starts after its parents are drained;
 *   each keeps its shard iterator from poll to poll;
 * - batches of up to `batchSize` records and 6 MB of payload, waiting up to
 *   `maxBatchingWindowMs` to fill; a shard that is caught up is read again only after
 *   `pollIntervalMs` (Lambda polls at a base rate; Kinesis allows 5 reads a second per
 *   shard across all consumers); a read asks for no more records than the payload has
 *   room for at the sizes of the last read (Kinesis caps a read at 10 MB; kinesalite does not);
 * - `batchItemFailures` (ReportBatchItemFailures): checkpoint before the lowest
 *   reported record and retry from it;
 * - a function error: with `bisectBatchOnError`, split the batch in halves and
 *   retry each (splitting does not count as a retry);
 * - at most `retryAttempts` retries of the same records, and no record older than
 *   `maxRecordAgeMs`: past either, the records go to the on-failure destination
 *   (with their payload, as an S3 destination keeps it) and the shard moves on;
 * - tumbling windows (`tumblingWindowSeconds`, stateful processing): per shard, fixed
 *   epoch-aligned windows of record arrival time, a state carried from invocation to
 *   invocation of a window, a final invocation when the window ends, and an early end
 *   of the window when its state passes 1 MB (see {@link EventSourceMappingOptions.tumblingWindowSeconds}).
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { listShards, parentShardIds, recordsWithin } from '#core/clients/kinesis.js';
import type {
  BatchResponse,
  KinesisFunction,
  LambdaKinesisEventRecord,
  LambdaKinesisWindowEvent,
  WindowBatchResponse,
} from '#core/lambda/events.js';

/** What the on-failure destination receives for discarded records. */
export interface DiscardedBatch {
  shardId: string;
  reason: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
  startSequenceNumber: string;
  endSequenceNumber: string;
  records: LambdaKinesisEventRecord[];
}

/** Where discarded records go (local S3 in local mode; a list in tests). */
export interface OnFailureDestination {
  send(batch: DiscardedBatch): Promise<void>;
}

/** Settings of the mapping (Lambda's names and defaults where Lambda has them). */
export interface EventSourceMappingOptions {
  kinesis: Pick<KinesisClient, 'send'>;
  streamName: string;
  fn: KinesisFunction;
  onFailure: OnFailureDestination;
  /** Records per invocation, 1–10,000 (default 100). */
  batchSize?: number;
  /** How long to gather records before invoking (default 0). */
  maxBatchingWindowMs?: number;
  /** Split a failing batch in two and retry each half (default true). */
  bisectBatchOnError?: boolean;
  /** Retries of the same records before discarding them (default -1, as Lambda: until they expire). */
  retryAttempts?: number;
  /** Discard records older than this (default -1: never). */
  maxRecordAgeMs?: number;
  /**
   * Pause before reading a shard that is caught up, between batches and within the
   * batching window (default 200 ms).
   */
  pollIntervalMs?: number;
  /** Fault injection for tests: invoke a batch again after it succeeded (a lost checkpoint). */
  redeliver?: (batch: LambdaKinesisEventRecord[]) => boolean;
  /** Clock (tests pin it). */
  now?: () => number;
  /** Called with every shard's position after records are done (persist them to resume after a restart). */
  onCheckpoint?: (positions: Record<string, string | undefined>) => void;
  /**
   * Consecutive failed polls (ListShards, GetShardIterator, GetRecords: the stream
   * unreachable or throttling) retried with backoff before the mapping gives up
   * with the last error (default 60, about a minute). Lambda itself retries forever.
   */
  maxPollFailures?: number;
  /**
   * Called after each invocation (progress, tests); `final` is set on a window's final
   * invocation (which has no records, and whose outcome is 'ok' or 'error').
   */
  onInvoke?: (info: {
    shardId: string;
    records: number;
    outcome: 'ok' | 'partial' | 'error' | 'redelivered';
    final?: boolean;
  }) => void;
  /**
   * Tumbling windows of this many seconds, 0–900 (default 0: none), as Lambda's
   * TumblingWindowInSeconds. Per shard, windows are fixed intervals of record arrival
   * time (ApproximateArrivalTimestamp) aligned on multiples of the size since the epoch;
   * a batch holds records of one window only. Every invocation gets a
   * {@link LambdaKinesisWindowEvent} with the window's state (`{}` at its start) and must
   * respond with a {@link WindowBatchResponse}: its `state` replaces the window's when
   * the checkpoint moves (records done; with batch item failures, those before the
   * lowest one), and a response without `state` is a function error (retried, with
   * bisection, from the state before it). The state goes to the function as JSON, as
   * Lambda sends it: each invocation gets a copy of its own.
   *
   * A window ends when the shard's next record arrived at or after its end, or, with
   * the shard caught up, when `now()` passes its end; {@link KinesisEventSourceMapping.drain}
   * ends a caught-up shard's window at once (local mode and tests stop without waiting a
   * window out), and the end of a closed shard ends its window before its children start.
   * A window that received a state then gets its final invocation:
   * `isFinalInvokeForWindow: true` and `Records: []` (this mapping sends the window's
   * records only in the invocations before it, never in the final one). It is retried
   * until it succeeds, holding up the shard (not counted by `retryAttempts`, never
   * discarded); then the state is dropped and the next window starts with `{}`. A state
   * whose JSON passes 1 MB ends the window early: a final invocation with
   * `isWindowTerminatedEarly: true` and that state, after which the same window goes on
   * with `{}`.
   *
   * While a window holds a state, {@link KinesisEventSourceMapping.positions} (and
   * `onCheckpoint`) report the shard's position where the window began, so that a
   * restart from them delivers the window's records again with a fresh state.
   */
  tumblingWindowSeconds?: number;
}

/** Counters of a mapping's run. */
export interface MappingStats {
  invocations: number;
  functionErrors: number;
  partialFailures: number;
  bisections: number;
  redeliveries: number;
  discardedRecords: number;
  recordsDelivered: number;
  /** Polls that failed and were retried (the stream unreachable or throttling). */
  pollFailures: number;
  /** Final invocations of tumbling windows that succeeded (their failed attempts count in `functionErrors`). */
  finalInvocations: number;
  /** Tumbling windows ended early because their state passed 1 MB. */
  windowsTerminatedEarly: number;
}

/** A shard's open tumbling window. */
interface TumblingWindow {
  /** Bounds in ms since the epoch: [start, end). */
  start: number;
  end: number;
  /** The state's JSON: each invocation gets a parse of its own. */
  state: string;
  /** True once an invocation's state was taken since the window began (or went on after ending early). */
  invoked: boolean;
  /** The shard's checkpoint when the window began (or went on after ending early). */
  startAfter: string | undefined;
}

interface ShardProgress {
  shardId: string;
  parents: string[];
  /** Sequence number of the last record done, or undefined for TRIM_HORIZON. */
  after?: string;
  /** Set once GetRecords reported the end of a closed shard and all its records were processed. */
  drained: boolean;
  /**
   * The iterator the last GetRecords returned, and the position it continues from:
   * reused while the shard's checkpoint is there (no GetShardIterator per poll).
   */
  iterator?: { value: string; after: string | undefined };
  /** Payload bytes of a record, on average, in the last read (sizes the next; undefined before the first). */
  recordBytes?: number;
  /** The open tumbling window (with `tumblingWindowSeconds`), from the arrival of its first record. */
  window?: TumblingWindow;
}

/** The local event source mapping (see the module comment). */
export class KinesisEventSourceMapping {
  readonly stats: MappingStats = {
    invocations: 0,
    functionErrors: 0,
    partialFailures: 0,
    bisections: 0,
    redeliveries: 0,
    discardedRecords: 0,
    recordsDelivered: 0,
    pollFailures: 0,
    finalInvocations: 0,
    windowsTerminatedEarly: 0,
  };
  /** Polls failed in a row, per shard ('' for ListShards); a successful poll resets its own. */
  private readonly pollFailuresInARow = new Map<string, number>();
  private readonly o: Required<Omit<EventSourceMappingOptions, 'redeliver' | 'onInvoke' | 'onCheckpoint'>> &
    Pick<EventSourceMappingOptions, 'redeliver' | 'onInvoke' | 'onCheckpoint'>;
  private readonly shards = new Map<string, ShardProgress>();
  private stopped = false;
  /** Why {@link run} stopped on its own (a poller gave up). */
  private failure: unknown;
  /** Record attempts by sequence number (reset when the record is done). */
  private readonly attempts = new Map<string, number>();

  constructor(options: EventSourceMappingOptions) {
    this.o = {
      batchSize: 100,
      maxBatchingWindowMs: 0,
      bisectBatchOnError: true,
      retryAttempts: -1,
      maxRecordAgeMs: -1,
      pollIntervalMs: 200,
      maxPollFailures: 60,
      tumblingWindowSeconds: 0,
      now: Date.now,
      ...options,
    };
    if (this.o.batchSize < 1 || this.o.batchSize > 10_000)
      throw new Error(`batchSize must be 1–10000, got ${this.o.batchSize}`);
    const tumbling = this.o.tumblingWindowSeconds;
    if (!Number.isInteger(tumbling) || tumbling < 0 || tumbling > 900)
      throw new Error(`tumblingWindowSeconds must be an integer 0–900, got ${tumbling}`);
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
      for (const s of (await this.poll('', () => listShards(this.o.kinesis, this.o.streamName))) ?? []) this.track(s);
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
    const all = await this.poll('', () => listShards(this.o.kinesis, this.o.streamName));
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
    const read = await this.poll(shard.shardId, () => this.read(shard));
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
      records.map((r) => this.toEventRecord(shard.shardId, r)),
    );
    if (complete && windowEnded) await this.closeWindow(shard);
    return true;
  }

  /**
   * Runs one poll of the stream for `key` (a shard, or '' for ListShards). A failure
   * that an outage or throttling explains is counted and waited out with backoff
   * (resolves undefined); after `maxPollFailures` in a row for that key it is thrown,
   * and any other failure (a missing stream, a bad argument, a bug) at once.
   */
  private async poll<T>(key: string, request: () => Promise<T>): Promise<T | undefined> {
    try {
      const out = await request();
      this.pollFailuresInARow.delete(key);
      return out;
    } catch (error) {
      if (!isTransient(error)) throw error;
      this.stats.pollFailures++;
      const inARow = (this.pollFailuresInARow.get(key) ?? 0) + 1;
      this.pollFailuresInARow.set(key, inARow);
      if (inARow > this.o.maxPollFailures) throw error;
      await new Promise((r) => setTimeout(r, Math.min(1_000, 25 * 2 ** inARow)));
      return undefined;
    }
  }

  /** An iterator at the shard's checkpoint: the one the last read left there, or a new one. */
  private async iteratorAt(shard: ShardProgress): Promise<string | undefined> {
    const kept = shard.iterator;
    shard.iterator = undefined;
    if (kept && kept.after === shard.after) return kept.value;
    const it = await this.o.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.o.streamName,
        ShardId: shard.shardId,
        ...(shard.after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: shard.after }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return it.ShardIterator;
  }

  /**
   * Reads a batch at the shard's checkpoint. With tumbling windows, the batch ends before
   * a record of a later window than its first record's (`windowEnded`).
   */
  private async read(
    shard: ShardProgress,
  ): Promise<{ records: KinesisRecord[]; closedAtEnd: boolean; windowEnded: boolean }> {
    let iterator = await this.iteratorAt(shard);
    const records: KinesisRecord[] = [];
    let deadline = this.o.now() + this.o.maxBatchingWindowMs;
    let bytes = 0;
    let full = false;
    let windowEnded = false;
    while (iterator && records.length < this.o.batchSize && !full && !windowEnded) {
      // As many records as the payload has room for at the sizes of the last read.
      const room = shard.recordBytes ? recordsWithin(MAX_PAYLOAD_BYTES - bytes, shard.recordBytes) : FIRST_READ_RECORDS;
      const asked = Math.min(this.o.batchSize - records.length, room);
      let out;
      try {
        out = await this.o.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: asked }));
      } catch (error) {
        // A kept iterator may have expired (5 minutes): start again from the checkpoint.
        if ((error as Error).name === 'ExpiredIteratorException' && records.length === 0) {
          iterator = await this.iteratorAt(shard);
          continue;
        }
        throw error;
      }
      const got = out.Records ?? [];
      let seen = 0;
      let seenBytes = 0;
      for (const r of got) {
        // Lambda's invocation payload holds 6 MB: a batch ends before the record that would
        // overflow it (the rest are read again for the next batch).
        const size = eventRecordBytes(r);
        seen++;
        seenBytes += size;
        if (this.o.tumblingWindowSeconds > 0) {
          // A batch holds one window's records; the first record of a window opens it.
          const arrival = this.arrivalMs(r);
          shard.window ??= this.openWindow(arrival, shard.after);
          if (arrival >= shard.window.end) {
            windowEnded = true;
            break;
          }
        }
        if (records.length > 0 && bytes + size > MAX_PAYLOAD_BYTES) {
          full = true;
          break;
        }
        records.push(r);
        bytes += size;
      }
      if (seen > 0) shard.recordBytes = seenBytes / seen;
      iterator = out.NextShardIterator;
      if (windowEnded) break;
      // Caught up (fewer records than asked, nothing behind): the next read waits a poll
      // interval, as Lambda polls a shard at a base rate, rather than spinning on an empty shard.
      const caughtUp = got.length < asked && (out.MillisBehindLatest ?? 0) === 0;
      if (caughtUp) {
        const left = deadline - this.o.now();
        if (!iterator || left <= 0) break;
        const wait = Math.min(this.o.pollIntervalMs, left);
        await new Promise((r) => setTimeout(r, wait));
        // (a timer may fire a millisecond early: the window is over once a wait covered it)
        if (wait === left) deadline = Number.NEGATIVE_INFINITY;
      }
    }
    // The iterator continues right after the last record read, unless the payload cap or
    // the window's end left some behind (read again for the next batch).
    if (iterator && !full && !windowEnded) {
      shard.iterator = { value: iterator, after: records.at(-1)?.SequenceNumber ?? shard.after };
    }
    return { records, closedAtEnd: !iterator && !full && !windowEnded, windowEnded };
  }

  /** A record's arrival time (ms since the epoch), as its event record has it. */
  private arrivalMs(r: KinesisRecord): number {
    return r.ApproximateArrivalTimestamp?.getTime() ?? this.o.now();
  }

  /** The tumbling window of a record that arrived at `arrival`, opened with the shard at `after`. */
  private openWindow(arrival: number, after: string | undefined): TumblingWindow {
    const size = this.o.tumblingWindowSeconds * 1000;
    const start = Math.floor(arrival / size) * size;
    return { start, end: start + size, state: '{}', invoked: false, startAfter: after };
  }

  /** The stream's ARN, as events carry it. */
  private get streamArn(): string {
    return `arn:aws:kinesis:us-east-1:000000000000:stream/${this.o.streamName}`;
  }

  private toEventRecord(shardId: string, r: KinesisRecord): LambdaKinesisEventRecord {
    const seq = r.SequenceNumber as string;
    return {
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${seq}`,
      eventName: 'aws:kinesis:record',
      eventSourceARN: this.streamArn,
      awsRegion: 'us-east-1',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey as string,
        sequenceNumber: seq,
        data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? this.o.now()) / 1000,
      },
    };
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
      let batch = work.shift() as LambdaKinesisEventRecord[];
      // Expired records never reach the function.
      if (this.o.maxRecordAgeMs >= 0) {
        const fresh = batch.findIndex(
          (r) => this.o.now() - r.kinesis.approximateArrivalTimestamp * 1000 <= this.o.maxRecordAgeMs,
        );
        const expired = fresh < 0 ? batch : batch.slice(0, fresh);
        if (expired.length > 0) await this.discard(shard, expired, 'RecordAgeExceeded');
        batch = fresh < 0 ? [] : batch.slice(fresh);
        if (batch.length === 0) continue;
      }
      this.stats.invocations++;
      this.stats.recordsDelivered += batch.length;
      // With tumbling windows, read() opened the window of these records.
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
        if (this.o.bisectBatchOnError && batch.length > 1) {
          this.stats.bisections++;
          const mid = Math.ceil(batch.length / 2);
          work.unshift(batch.slice(0, mid), batch.slice(mid));
          continue;
        }
        if (await this.retryOrDiscard(shard, batch)) work.unshift(batch);
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
    for (const r of records) this.attempts.delete(r.kinesis.sequenceNumber);
    this.o.onCheckpoint?.(this.positions());
  }

  /** A window's event: `records` of the window (none for its final invocation) and its state. */
  private windowEvent(
    shard: ShardProgress,
    w: TumblingWindow,
    records: LambdaKinesisEventRecord[],
    final: boolean,
    early = false,
  ): LambdaKinesisWindowEvent {
    return {
      Records: records,
      window: { start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() },
      state: JSON.parse(w.state) as Record<string, unknown>,
      shardId: shard.shardId,
      eventSourceARN: this.streamArn,
      isFinalInvokeForWindow: final,
      isWindowTerminatedEarly: early,
    };
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
    if (!w?.invoked || Buffer.byteLength(w.state) <= MAX_STATE_BYTES) return true;
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
    const first = records[0]?.kinesis.sequenceNumber as string;
    const n = (this.attempts.get(first) ?? 0) + 1;
    this.attempts.set(first, n);
    if (this.o.retryAttempts < 0 || n <= this.o.retryAttempts) {
      // Backs off as the same records keep failing (1 ms doubling to 500 ms): an outage
      // behind the function is waited out instead of spun through.
      await new Promise((r) => setTimeout(r, Math.min(500, 2 ** (n - 1))));
      return true;
    }
    await this.discard(shard, records, 'RetryAttemptsExhausted');
    return false;
  }

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

/** Lambda's limit on an invocation's payload (synchronous invocation, which a mapping makes). */
const MAX_PAYLOAD_BYTES = 6 * 1_048_576;
/** Records asked of a shard's first read, before any size is known. */
const FIRST_READ_RECORDS = 100;
/** Lambda's limit on a tumbling window's state (its JSON); past it the window ends early. */
const MAX_STATE_BYTES = 1_048_576;

/**
 * The JSON of a window response's state, or undefined when it has none (not an object,
 * or not JSON: Lambda could not have received it).
 */
function stateJson(response: unknown): string | undefined {
  const state = (response as { state?: unknown } | null | undefined)?.state;
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
  try {
    return JSON.stringify(state);
  } catch {
    return undefined;
  }
}

/** Bytes a record takes in a Lambda Kinesis event: its data in base64 plus the event's fixed fields. */
function eventRecordBytes(r: KinesisRecord): number {
  return Math.ceil((r.Data?.length ?? 0) / 3) * 4 + 500;
}

/** Error names of Kinesis throttling and timeouts (retried by Lambda's poller too). */
const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'TimeoutError',
  'RequestTimeout',
]);
/** Socket error codes of a server that is down or went away. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** True when an outage or throttling explains a failed poll (worth retrying). */
function isTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $fault?: string; $retryable?: unknown };
  return (
    TRANSIENT_NAMES.has(e.name ?? '') || TRANSIENT_CODES.has(e.code ?? '') || e.$fault === 'server' || !!e.$retryable
  );
}

/** An on-failure destination that keeps batches in memory (tests). */
export class MemoryDestination implements OnFailureDestination {
  readonly batches: DiscardedBatch[] = [];
  async send(batch: DiscardedBatch): Promise<void> {
    this.batches.push(batch);
  }
}
