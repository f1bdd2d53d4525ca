import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregationError } from '#core/contract/errors.js';
import { AggregateBuilder, aggregate, deaggregate, isAggregate, KPL_MAGIC } from '#core/contract/kpl.js';
import { refAggregate, refDeaggregate } from '#test/helpers/kinesis-agg.js';

const arbUserRecords = fc.array(
  fc.record({
    partitionKey: fc.constantFrom('server-001', 'server-002', 'ключ', 'k'.repeat(256)),
    // Real hash keys are 128-bit decimals. (The reference emits its key table in JS
    // Object.keys order, which would reorder array-index-like keys such as '0'.)
    explicitHashKey: fc.option(
      fc.constantFrom('170141183460469231731687303715884105728', '340282366920938463463374607431768211455'),
      { nil: undefined },
    ),
    data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  }),
  { minLength: 1, maxLength: 40 },
);

describe('KPL aggregation, byte-compatible with aws-kinesis-agg', () => {
  it('our aggregate equals the reference aggregate byte for byte', () => {
    fc.assert(
      fc.property(arbUserRecords, (records) => {
        // Act
        const ours = aggregate(records);
        const theirs = refAggregate(records);
        // Assess
        expect(ours.equals(theirs.data)).toBe(true);
      }),
    );
  });

  it('the reference de-aggregates ours, and we de-aggregate the reference', () => {
    fc.assert(
      fc.property(arbUserRecords, (records) => {
        // Act
        const readByRef = refDeaggregate(aggregate(records));
        const readByUs = deaggregate(refAggregate(records).data, 'outer');
        // Assess
        const expected = records.map((r) => ({
          pk: r.partitionKey,
          ehk: r.explicitHashKey,
          data: r.data.toString('hex'),
        }));
        // The reference (protobufjs) reads an absent explicit_hash_key_index as 0, so
        // it reports table[0] for records without a hash key; compare only where set.
        expect(
          readByRef.map((r, i) => ({
            pk: r.partitionKey,
            ehk: records[i]?.explicitHashKey === undefined ? undefined : r.explicitPartitionKey,
            data: Buffer.from(r.data, 'base64').toString('hex'),
          })),
        ).toEqual(expected);
        expect(
          readByUs.map((r) => ({ pk: r.partitionKey, ehk: r.explicitHashKey, data: r.data.toString('hex') })),
        ).toEqual(expected);
        expect(readByUs.map((r) => r.subSequenceNumber)).toEqual(records.map((_, i) => i));
      }),
    );
  });

  it('predicts the exact encoded size while building', () => {
    fc.assert(
      fc.property(arbUserRecords, (records) => {
        const b = new AggregateBuilder();
        let predicted = b.size;
        for (const r of records) {
          predicted += b.sizeIncrease(r);
          b.add(r);
        }
        expect(b.build().length).toBe(predicted);
        expect(b.size).toBe(predicted);
      }),
    );
  });

  it('passes a plain (non-aggregated) record through as one user record', () => {
    // Prepare
    const data = Buffer.from([0xc3, 0x01, 1, 2, 3]);
    // Act
    const out = deaggregate(data, 'server-001');
    // Assess
    expect(out).toEqual([
      { partitionKey: 'server-001', explicitHashKey: undefined, data, subSequenceNumber: 0, aggregated: false },
    ]);
  });

  it('rejects a checksum mismatch, and malformed protobuf with a verified checksum', () => {
    // Prepare
    const good = aggregate([{ partitionKey: 'a', data: Buffer.from('xyz') }]);
    const flipped = Buffer.from(good);
    flipped[8] = (flipped[8] as number) ^ 0xff;
    const truncatedProto = Buffer.concat([KPL_MAGIC, Buffer.from([0x1a, 0x7f, 0x08]), Buffer.alloc(16)]);
    // Act / Assess
    expect(isAggregate(good)).toBe(true);
    expect(() => deaggregate(flipped, 'a')).toThrow(new AggregationError('MD5 checksum mismatch'));
    expect(() => deaggregate(truncatedProto, 'a', undefined, { verifyChecksum: false })).toThrow(
      'protobuf length runs past the end',
    );
  });

  it('rejects a user record naming a partition key index that is not in the table', () => {
    // Prepare: records[0] = { partition_key_index: 3, data: 'x' } and an empty key table
    const proto = Buffer.from([0x1a, 0x05, 0x08, 0x03, 0x1a, 0x01, 0x78]);
    const data = Buffer.concat([KPL_MAGIC, proto, Buffer.alloc(16)]);
    // Act / Assess
    expect(() => deaggregate(data, 'a', undefined, { verifyChecksum: false })).toThrow(
      'user record 0 names partition key index 3, table has 0',
    );
  });
});
