import { describe, expect, it } from 'vitest';
import { OversizedRecordError } from '#core/produce/errors.js';
import {
  type PackableRecord,
  packRequests,
  PUT_RECORDS_MAX_BYTES,
  PUT_RECORDS_MAX_ENTRIES,
  recordBytes,
} from '#core/produce/request-packer.js';

// Kinesis's limits, written out here rather than read from the module under test.
const MiB = 1_048_576;
const MAX_ENTRIES = 500;
const MAX_REQUEST_BYTES = 5 * MiB;

/** A record of `bytes` bytes counting its partition key (`k` + 3 digits: 4 bytes). */
function recordOf(i: number, bytes: number): PackableRecord {
  const partitionKey = `k${String(i % 1_000).padStart(3, '0')}`;
  return { partitionKey, data: new Uint8Array(bytes - 4) };
}
const records = (n: number, bytes = 100) => Array.from({ length: n }, (_, i) => recordOf(i, bytes));

describe('packRequests: records into PutRecords requests within Kinesis limits', () => {
  it('uses the limits Kinesis documents: 500 records and 5 MiB a request', () => {
    // Assess
    expect([PUT_RECORDS_MAX_ENTRIES, PUT_RECORDS_MAX_BYTES]).toEqual([MAX_ENTRIES, MAX_REQUEST_BYTES]);
  });

  it('counts a record as its data plus its partition key in UTF-8', () => {
    // Act / Assess: 'é' is 2 bytes
    expect(recordBytes({ partitionKey: 'hé', data: new Uint8Array(10) })).toBe(10 + 3);
  });

  it.each([
    [499, [499]],
    [500, [500]],
    [501, [500, 1]],
    [1_000, [500, 500]],
    [1_001, [500, 500, 1]],
  ])('packs %i small records into requests of %j records', (n, counts) => {
    // Prepare
    const input = records(n);

    // Act
    const requests = packRequests(input);

    // Assess: counts, 100 bytes each, and every record once in order
    expect(requests.map((r) => r.records.length)).toEqual(counts);
    expect(requests.map((r) => r.bytes)).toEqual(counts.map((c) => c * 100));
    expect(requests.flatMap((r) => r.records)).toEqual(input);
  });

  it('puts exactly 5 MiB in one request', () => {
    // Prepare: five records of exactly 1 MiB (the per-record maximum)
    const input = records(5, MiB);

    // Act
    const requests = packRequests(input);

    // Assess
    expect(requests.map((r) => [r.records.length, r.bytes])).toEqual([[5, 5 * MiB]]);
  });

  it('opens a second request at 5 MiB + 1 byte', () => {
    // Prepare: five records of 1 MiB and one of a single byte past them
    const input = [...records(5, MiB), recordOf(5, 5)];
    const total = 5 * MiB + 5;

    // Act
    const requests = packRequests(input);

    // Assess
    expect(total).toBe(MAX_REQUEST_BYTES + 5);
    expect(requests.map((r) => [r.records.length, r.bytes])).toEqual([
      [5, 5 * MiB],
      [1, 5],
    ]);
  });

  it('closes a request at the first record that would not fit, even if a later one would', () => {
    // Prepare: 5 MiB - 1 byte, then 5 bytes (too many), then 1 byte (would still fit)
    const oneByte: PackableRecord = { partitionKey: 'k', data: new Uint8Array(0) };
    const input = [...records(4, MiB), recordOf(4, MiB - 1), recordOf(5, 5), oneByte];

    // Act
    const requests = packRequests(input);

    // Assess: order is kept, so the 1-byte record follows the 5-byte one into the next request
    expect(requests.map((r) => [r.records.length, r.bytes])).toEqual([
      [5, 5 * MiB - 1],
      [2, 6],
    ]);
  });

  it('counts partition keys toward the 5 MiB', () => {
    // Prepare: five records whose data alone is 1 MiB - 4, so with keys exactly 1 MiB each, then one of 4 + 1
    const input = [...records(5, MiB), { partitionKey: 'k005', data: new Uint8Array(1) }];

    // Act
    const requests = packRequests(input);

    // Assess
    expect(requests.map((r) => r.bytes)).toEqual([5 * MiB, 5]);
  });

  it('packs nothing into no request', () => {
    // Act / Assess
    expect(packRequests([])).toEqual([]);
  });

  it('accepts a record of exactly 1 MiB and refuses one byte more, naming the limit', () => {
    // Prepare
    const over = recordOf(0, MiB + 1);

    // Act / Assess
    expect(packRequests([recordOf(0, MiB)])).toHaveLength(1);
    expect(() => packRequests([over])).toThrow(OversizedRecordError);
    expect(() => packRequests([over])).toThrow(
      `a record of ${MiB + 1} bytes (data and partition key) is above the ${MiB}-byte Kinesis record limit`,
    );
  });

  it('applies limits it is given', () => {
    // Act
    const requests = packRequests(records(7, 10), { maxEntries: 3, maxBytes: 25, maxRecordBytes: 10 });

    // Assess: two records of 10 fill 25 bytes before three records do
    expect(requests.map((r) => r.records.length)).toEqual([2, 2, 2, 1]);
  });
});
