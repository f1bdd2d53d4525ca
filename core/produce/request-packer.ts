/**
 * Packing records into PutRecords requests within Kinesis's limits: a pure function
 * (no I/O, no clock). A request holds at most 500 records and 5 MiB, and a record at
 * most 1 MiB, each counting its data and its partition key (UTF-8).
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 */
import { KINESIS_MAX_RECORD_BYTES } from '#core/contract/kpl.js';
import { OversizedRecordError } from './errors.js';

/** Kinesis PutRecords limit on the records of one request. */
export const PUT_RECORDS_MAX_ENTRIES = 500;
/** Kinesis PutRecords limit on the whole request (data + partition keys). */
export const PUT_RECORDS_MAX_BYTES = 5 * 1_048_576;

/** The limits a packing respects; {@link PUT_RECORDS_LIMITS} are Kinesis's. */
export interface PutRecordsLimits {
  /** Records per request. */
  maxEntries: number;
  /** Bytes per request, data and partition keys. */
  maxBytes: number;
  /** Bytes per record, data and partition key. */
  maxRecordBytes: number;
}

/** Kinesis's PutRecords limits. */
export const PUT_RECORDS_LIMITS: Readonly<PutRecordsLimits> = {
  maxEntries: PUT_RECORDS_MAX_ENTRIES,
  maxBytes: PUT_RECORDS_MAX_BYTES,
  maxRecordBytes: KINESIS_MAX_RECORD_BYTES,
};

/** What the packer reads of a record. */
export interface PackableRecord {
  data: Uint8Array;
  partitionKey: string;
}

/** One PutRecords request: its records in order, and the bytes Kinesis counts for them. */
export interface PackedRequest<T extends PackableRecord> {
  records: T[];
  bytes: number;
}

/** Bytes Kinesis counts for a record: its data plus its partition key in UTF-8. */
export function recordBytes(record: PackableRecord): number {
  return record.data.length + Buffer.byteLength(record.partitionKey);
}

/**
 * Splits `records`, in their order, into consecutive requests, each as full as the
 * limits allow (a request closes at the first record that would not fit).
 * @throws OversizedRecordError when one record alone is above the per-record limit
 */
export function packRequests<T extends PackableRecord>(
  records: readonly T[],
  limits: PutRecordsLimits = PUT_RECORDS_LIMITS,
): PackedRequest<T>[] {
  const requests: PackedRequest<T>[] = [];
  let current: PackedRequest<T> = { records: [], bytes: 0 };
  for (const record of records) {
    const bytes = recordBytes(record);
    if (bytes > limits.maxRecordBytes) throw new OversizedRecordError(bytes, limits.maxRecordBytes);
    if (current.records.length >= limits.maxEntries || current.bytes + bytes > limits.maxBytes) {
      requests.push(current);
      current = { records: [], bytes: 0 };
    }
    current.records.push(record);
    current.bytes += bytes;
  }
  if (current.records.length > 0) requests.push(current);
  return requests;
}
