/**
 * What the window projection takes and gives per batch: the records (in either Kinesis
 * shape, or already decoded), the counters it publishes, and its results.
 */
import type { KinesisRecordLike } from '#core/contract/consumer.js';
import type { DecodedRecord } from '#core/windows/fold.js';
import type { HeldState } from './held-state.js';
import type { WriteCounters } from './item-writer.js';

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

/** What the held mode returns: the batch's result and the state to hold next. */
export interface HeldBatchResult extends BatchResult {
  /** The state to return to Lambda; undefined after a flush (the next invocation starts from the checkpoint). */
  held: HeldState | undefined;
}

/** Counters of a batch of `records` records before anything is done. */
export function emptyCounters(records: number): BatchCounters {
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
