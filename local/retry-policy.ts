/**
 * What the local event source mapping does with records the function failed, as Lambda
 * does: split a failing batch in halves (`bisectBatchOnError`; splitting does not count as
 * a retry), retry the same records at most `retryAttempts` times, and never invoke with a
 * record older than `maxRecordAgeMs`. Records past either limit are discarded by the
 * mapping (to its on-failure destination).
 */
import type { LambdaKinesisEventRecord } from '#core/lambda/events.js';
import type { ResolvedMappingOptions } from './mapping-options.js';

type Records = LambdaKinesisEventRecord[];

/** The settings the policy reads (see `EventSourceMappingOptions`). */
export type RetrySettings = Pick<
  ResolvedMappingOptions,
  'bisectBatchOnError' | 'retryAttempts' | 'maxRecordAgeMs' | 'now'
>;

/** Attempts per run of records, and the decisions Lambda takes on them (see the module comment). */
export class RetryPolicy {
  /** Failed attempts by the sequence number of the first record retried (reset when a record is done). */
  private readonly attempts = new Map<string, number>();

  constructor(private readonly o: RetrySettings) {}

  /**
   * Splits `batch` (in order) before its first record no older than `maxRecordAgeMs`: the
   * records before it have expired and never reach the function. Nothing expires with
   * `maxRecordAgeMs` below 0.
   */
  splitExpired(batch: Records): { expired: Records; fresh: Records } {
    if (this.o.maxRecordAgeMs < 0) return { expired: [], fresh: batch };
    const fresh = batch.findIndex(
      (r) => this.o.now() - r.kinesis.approximateArrivalTimestamp * 1000 <= this.o.maxRecordAgeMs,
    );
    return fresh < 0 ? { expired: batch, fresh: [] } : { expired: batch.slice(0, fresh), fresh: batch.slice(fresh) };
  }

  /**
   * The halves to retry after a function error (the first one has the extra record of an
   * odd batch), or undefined when the batch is retried whole: bisection off, or one record.
   */
  bisect(batch: Records): [Records, Records] | undefined {
    if (!this.o.bisectBatchOnError || batch.length <= 1) return undefined;
    const mid = Math.ceil(batch.length / 2);
    return [batch.slice(0, mid), batch.slice(mid)];
  }

  /**
   * Counts a failed attempt of `records` (by their first record). True when they may be
   * retried, after a backoff that grows as the same records keep failing (1 ms doubling
   * to 500 ms: an outage behind the function is waited out instead of spun through);
   * false once they used up `retryAttempts` (-1: never) and must be discarded.
   */
  async retry(records: Records): Promise<boolean> {
    const first = records[0]?.kinesis.sequenceNumber as string;
    const n = (this.attempts.get(first) ?? 0) + 1;
    this.attempts.set(first, n);
    if (this.o.retryAttempts >= 0 && n > this.o.retryAttempts) return false;
    await new Promise((r) => setTimeout(r, Math.min(500, 2 ** (n - 1))));
    return true;
  }

  /** Forgets the attempts of records that are done (processed or discarded). */
  forget(records: Records): void {
    for (const r of records) this.attempts.delete(r.kinesis.sequenceNumber);
  }
}
