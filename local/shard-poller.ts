/**
 * The reading side of the local event source mapping: Kinesis polls as Lambda's poller
 * makes them.
 * - a shard keeps its shard iterator from poll to poll;
 * - a batch holds up to `batchSize` records and 6 MB of payload, waiting up to
 *   `maxBatchingWindowMs` to fill; a shard that is caught up is read again only after
 *   `pollIntervalMs` (Lambda polls at a base rate; Kinesis allows 5 reads a second per
 *   shard across all consumers);
 * - a read asks for no more records than the payload has room for at the sizes of the
 *   last read (Kinesis caps a read at 10 MB; kinesalite does not);
 * - with tumbling windows, a batch ends before the first record of a later window;
 * - a poll that an outage or throttling failed is retried with backoff, up to
 *   `maxPollFailures` in a row.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as KinesisRecord,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { listShards, recordsWithin } from '#core/clients/kinesis.js';
import type { LambdaKinesisEventRecord } from '#core/lambda/events.js';
import type { MappingStats, ResolvedMappingOptions } from './mapping-options.js';
import { openWindow, type TumblingWindow } from './tumbling-window.js';

/** Lambda's limit on an invocation's payload (synchronous invocation, which a mapping makes). */
const MAX_PAYLOAD_BYTES = 6 * 1_048_576;
/** Records asked of a shard's first read, before any size is known. */
const FIRST_READ_RECORDS = 100;

/** Where the mapping stands on one shard. */
export interface ShardProgress {
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

/** One batch read at a shard's checkpoint. */
export interface ShardBatch {
  records: KinesisRecord[];
  /** The shard is closed and this batch reached its end. */
  closedAtEnd: boolean;
  /** The batch stopped before a record of a later tumbling window than its first record's. */
  windowEnded: boolean;
}

/** The settings the poller reads (see `EventSourceMappingOptions`). */
export type PollerSettings = Pick<
  ResolvedMappingOptions,
  | 'kinesis'
  | 'streamName'
  | 'batchSize'
  | 'maxBatchingWindowMs'
  | 'pollIntervalMs'
  | 'maxPollFailures'
  | 'tumblingWindowSeconds'
  | 'now'
>;

/** Polls one stream for a mapping (see the module comment); counts failed polls in `stats`. */
export class ShardPoller {
  /** Polls failed in a row, per shard ('' for ListShards); a successful poll resets its own. */
  private readonly failuresInARow = new Map<string, number>();

  constructor(
    private readonly o: PollerSettings,
    private readonly stats: Pick<MappingStats, 'pollFailures'>,
  ) {}

  /** The stream's ARN, as events carry it. */
  get streamArn(): string {
    return `arn:aws:kinesis:us-east-1:000000000000:stream/${this.o.streamName}`;
  }

  /** The stream's shards, or undefined when the stream did not answer (try again). */
  listShards(): Promise<Shard[] | undefined> {
    return this.poll('', () => listShards(this.o.kinesis, this.o.streamName));
  }

  /**
   * Reads a batch at the shard's checkpoint, or undefined when the stream did not answer
   * (try again). With tumbling windows, the first record of a window opens it on `shard`.
   */
  readBatch(shard: ShardProgress): Promise<ShardBatch | undefined> {
    return this.poll(shard.shardId, () => this.read(shard));
  }

  /** A record as a Lambda Kinesis event carries it. */
  toEventRecord(shardId: string, r: KinesisRecord): LambdaKinesisEventRecord {
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
   * Runs one poll of the stream for `key` (a shard, or '' for ListShards). A failure
   * that an outage or throttling explains is counted and waited out with backoff
   * (resolves undefined); after `maxPollFailures` in a row for that key it is thrown,
   * and any other failure (a missing stream, a bad argument, a bug) at once.
   */
  private async poll<T>(key: string, request: () => Promise<T>): Promise<T | undefined> {
    try {
      const out = await request();
      this.failuresInARow.delete(key);
      return out;
    } catch (error) {
      if (!isTransient(error)) throw error;
      this.stats.pollFailures++;
      const inARow = (this.failuresInARow.get(key) ?? 0) + 1;
      this.failuresInARow.set(key, inARow);
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
  private async read(shard: ShardProgress): Promise<ShardBatch> {
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
          const arrival = r.ApproximateArrivalTimestamp?.getTime() ?? this.o.now();
          shard.window ??= openWindow(arrival, this.o.tumblingWindowSeconds, shard.after);
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
