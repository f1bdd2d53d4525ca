import { describe, expect, it } from 'vitest';
import { StreamDecoder } from '#core/contract/consumer.js';
import { aggregate } from '#core/contract/kpl.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { logEvent, metricSample } from '#test/helpers/events.js';

const registry = SchemaRegistry.load();
const encoder = new SingleObjectEncoder();
const seq = '49654107462232393219178393218736617003486046263442128898';

describe('StreamDecoder (consumer API)', () => {
  const metric = metricSample(1);
  const log = logEvent(2);
  const data = aggregate([
    { partitionKey: 'server-001', data: encoder.encode(registry.version('MetricSample', 1), metric) },
    { partitionKey: 'server-001', data: encoder.encode(registry.latest('LogEvent'), log) },
  ]);

  it('decodes the Lambda event shape and the GetRecords shape alike', () => {
    // Prepare
    const decoder = new StreamDecoder(registry, { MetricSample: 1 });
    const lambda = { kinesis: { data: data.toString('base64'), sequenceNumber: seq, partitionKey: 'server-001' } };
    const getRecords = { Data: new Uint8Array(data), SequenceNumber: seq, PartitionKey: 'server-001' };
    // Act
    const a = decoder.events(lambda);
    const b = decoder.events(getRecords);
    // Assess
    expect(a.map((e) => [e.type, e.event, e.sequenceNumber, e.subSequenceNumber])).toEqual([
      ['MetricSample', metric, seq, 0],
      ['LogEvent', log, seq, 1],
    ]);
    expect(b.map((e) => e.event)).toEqual(a.map((e) => e.event));
  });

  it('separates poison user records with their bytes, position and reason, and keeps the good ones', () => {
    // Prepare
    const unknown = encoder.encode(registry.version('MetricSample', 1), metricSample(3));
    unknown.writeBigUInt64LE(42n, 2);
    const mixed = aggregate([
      { partitionKey: 'server-001', data: encoder.encode(registry.version('MetricSample', 1), metric) },
      { partitionKey: 'server-001', data: unknown },
      { partitionKey: 'server-002', data: Buffer.from('not avro') },
    ]);
    const decoder = new StreamDecoder(registry);
    // Act
    const out = decoder.decode({ Data: mixed, SequenceNumber: seq, PartitionKey: 'server-001' });
    // Assess
    expect(out.events.map((e) => e.event.event_id)).toEqual([metric.event_id]);
    expect(
      out.poison.map((p) => ({
        sub: p.subSequenceNumber,
        pk: p.partitionKey,
        code: p.error.code,
        bytes: p.data.length,
      })),
    ).toEqual([
      { sub: 1, pk: 'server-001', code: 'unknown-fingerprint', bytes: unknown.length },
      { sub: 2, pk: 'server-002', code: 'bad-magic', bytes: 8 },
    ]);
    expect(() => decoder.events({ Data: mixed, SequenceNumber: seq, PartitionKey: 'server-001' })).toThrow(
      'unknown schema fingerprint 0x000000000000002a',
    );
  });

  it('quarantines a whole record whose aggregate is corrupt', () => {
    // Prepare
    const corrupt = Buffer.from(data);
    corrupt[10] = (corrupt[10] as number) ^ 0xff;
    // Act
    const out = new StreamDecoder(registry).decode({ Data: corrupt, SequenceNumber: seq, PartitionKey: 'server-001' });
    // Assess
    expect(out.events).toEqual([]);
    expect(out.poison.map((p) => [p.error.code, p.data.length])).toEqual([['bad-aggregate', corrupt.length]]);
  });
});
