/**
 * The local event source mapping's settings, counters and on-failure destination: Lambda's
 * names and defaults where Lambda has them (see ./event-source-mapping.ts).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisFunction, LambdaKinesisEventRecord } from '#core/lambda/events.js';

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

/** What a mapping reports after each invocation (see {@link EventSourceMappingOptions.onInvoke}). */
export interface InvokeInfo {
  shardId: string;
  records: number;
  outcome: 'ok' | 'partial' | 'error' | 'redelivered';
  final?: boolean;
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
  onInvoke?: (info: InvokeInfo) => void;
  /**
   * Tumbling windows of this many seconds, 0–900 (default 0: none), as Lambda's
   * TumblingWindowInSeconds. Per shard, windows are fixed intervals of record arrival
   * time (ApproximateArrivalTimestamp) aligned on multiples of the size since the epoch;
   * a batch holds records of one window only. Every invocation gets a
   * `LambdaKinesisWindowEvent` (core/lambda/events.ts) with the window's state (`{}` at its start) and must
   * respond with a `WindowBatchResponse`: its `state` replaces the window's when
   * the checkpoint moves (records done; with batch item failures, those before the
   * lowest one), and a response without `state` is a function error (retried, with
   * bisection, from the state before it). The state goes to the function as JSON, as
   * Lambda sends it: each invocation gets a copy of its own.
   *
   * A window ends when the shard's next record arrived at or after its end, or, with
   * the shard caught up, when `now()` passes its end; `KinesisEventSourceMapping.drain`
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
   * While a window holds a state, `KinesisEventSourceMapping.positions` (and
   * `onCheckpoint`) report the shard's position where the window began, so that a
   * restart from them delivers the window's records again with a fresh state.
   */
  tumblingWindowSeconds?: number;
}

/** The options with every default filled in. */
export type ResolvedMappingOptions = Required<
  Omit<EventSourceMappingOptions, 'redeliver' | 'onInvoke' | 'onCheckpoint'>
> &
  Pick<EventSourceMappingOptions, 'redeliver' | 'onInvoke' | 'onCheckpoint'>;

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

/** Settings a mapping cannot run with; the message names the setting and its range. */
export class MappingOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingOptionsError';
  }
}

/**
 * Fills in Lambda's defaults and checks the ranges Lambda checks.
 * @throws MappingOptionsError for a batch size outside 1–10,000 or a tumbling window outside 0–900 s
 */
export function resolveMappingOptions(options: EventSourceMappingOptions): ResolvedMappingOptions {
  const o = {
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
  if (o.batchSize < 1 || o.batchSize > 10_000)
    throw new MappingOptionsError(`batchSize must be 1–10000, got ${o.batchSize}`);
  const tumbling = o.tumblingWindowSeconds;
  if (!Number.isInteger(tumbling) || tumbling < 0 || tumbling > 900)
    throw new MappingOptionsError(`tumblingWindowSeconds must be an integer 0–900, got ${tumbling}`);
  return o;
}

/** A mapping's counters, all zero. */
export function emptyMappingStats(): MappingStats {
  return {
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
}
