import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { lakeColumns, lakeType } from '#core/lake/columns.js';
import { firehoseErrorPrefix, firehosePrefix } from '#core/lake/layout.js';
import { hivePrefix, partitionKeysOf } from '#core/lake/rows.js';
import { LakeTransform } from '#core/lake/transform.js';
import { histogramOf, logEvent, metricSample } from '#test/helpers/events.js';

const registry = SchemaRegistry.load();
const encoder = new SingleObjectEncoder();

describe('lake columns from the schemas', () => {
  it('are every field of the latest schema, in order, then arrival and stream position', () => {
    const fields = (registry.latest('MetricSample').schema as { fields: { name: string }[] }).fields.map((f) => f.name);
    expect(lakeColumns(registry, 'MetricSample').map((c) => c.name)).toEqual([
      ...fields,
      'arrived_at',
      'shard_id',
      'sequence_number',
      'subsequence_number',
    ]);
  });

  it('map Avro types to Glue and DuckDB types', () => {
    expect(lakeColumns(registry, 'MetricSample').map((c) => `${c.name}:${c.glueType}:${c.duckdbType}`)).toEqual([
      'event_id:string:VARCHAR',
      'producer_id:string:VARCHAR',
      'producer_seq:bigint:BIGINT',
      'occurred_at:timestamp:TIMESTAMP',
      'host:string:VARCHAR',
      'metric:string:VARCHAR',
      'value:double:DOUBLE',
      'unit:string:VARCHAR',
      'region:string:VARCHAR',
      'environment:string:VARCHAR',
      'tags:map<string,string>:MAP(VARCHAR, VARCHAR)',
      'source:string:VARCHAR',
      'histogram:struct<count:bigint,sum:double,min:double,max:double,bucket_bounds:array<double>,bucket_counts:array<bigint>>:STRUCT(count BIGINT, sum DOUBLE, min DOUBLE, max DOUBLE, bucket_bounds DOUBLE[], bucket_counts BIGINT[])',
      'arrived_at:timestamp:TIMESTAMP',
      'shard_id:string:VARCHAR',
      'sequence_number:string:VARCHAR',
      'subsequence_number:bigint:BIGINT',
    ]);
    expect(lakeColumns(registry, 'LogEvent').map((c) => c.name)).toContain('attributes');
  });

  it('refuses unions that are not ["null", T] and unknown types, naming the field', () => {
    expect(() => lakeType(['string', 'long'], 'x')).toThrow(`field 'x': only ["null", T] unions map to a lake column`);
    expect(() => lakeType('fixed', 'y')).toThrow("field 'y': Avro type 'fixed' has no lake column type");
  });
});

describe('partitions', () => {
  it.each([
    [Date.UTC(2026, 0, 1, 0, 0, 0), 'year=2026/month=01/day=01/hour=00/'],
    [Date.UTC(2026, 10, 22, 23, 59, 59, 999), 'year=2026/month=11/day=22/hour=23/'],
  ])('event time %i is in %s (UTC)', (ms, prefix) => {
    expect(hivePrefix(partitionKeysOf(ms))).toBe(prefix);
  });

  it('Firehose prefixes take partition keys from the transform and errors by type', () => {
    expect(firehosePrefix('MetricSample')).toBe(
      'metric_samples/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/',
    );
    expect(firehoseErrorPrefix('LogEvent')).toMatch(/^errors\/log_events\/!\{firehose:error-output-type\}\//);
  });
});

describe('Firehose transform', () => {
  const transform = new LakeTransform(registry, 'MetricSample');
  const at = Date.UTC(2026, 10, 22, 7, 30);

  it('turns each event into one JSON row with event-time partition keys; other types are Dropped; poison fails with a reason', () => {
    // Prepare
    const metric = metricSample(1, { occurred_at: new Date(at) });
    const records = [
      {
        recordId: 'a',
        approximateArrivalTimestamp: at + 1600, // Firehose's; the stream's (below) wins
        data: encoder.encode(registry.version('MetricSample', 1), metric).toString('base64'),
        kinesisRecordMetadata: {
          shardId: 'shardId-000000000003',
          partitionKey: 'server-001',
          approximateArrivalTimestamp: at + 1500,
          sequenceNumber: '49650000000000000000000000000000000000000000000000000042',
          subsequenceNumber: '7',
        },
      },
      {
        recordId: 'b',
        approximateArrivalTimestamp: at,
        data: encoder.encode(registry.latest('LogEvent'), logEvent(2)).toString('base64'),
      },
      { recordId: 'c', approximateArrivalTimestamp: at, data: Buffer.from('{"not":"avro"}').toString('base64') },
      { recordId: 'd', approximateArrivalTimestamp: at, data: Buffer.from([0xc3, 0x01, 1, 2, 3]).toString('base64') },
    ];
    // Act
    const out = transform.transform(records);
    // Assess
    expect(out.map((r) => [r.recordId, r.result])).toEqual([
      ['a', 'Ok'],
      ['b', 'Dropped'],
      ['c', 'ProcessingFailed'],
      ['d', 'ProcessingFailed'],
    ]);
    expect(out[0]?.metadata).toEqual({ partitionKeys: { year: '2026', month: '11', day: '22', hour: '07' } });
    const row = JSON.parse(Buffer.from(out[0]?.data as string, 'base64').toString());
    expect(row).toEqual({
      ...metric,
      occurred_at: at,
      source: null,
      arrived_at: at + 1500,
      shard_id: 'shardId-000000000003',
      sequence_number: '49650000000000000000000000000000000000000000000000000042',
      subsequence_number: 7,
    });
    // every column but a null histogram, which the row leaves out (read as null)
    expect(Object.keys(row)).toEqual(
      lakeColumns(registry, 'MetricSample')
        .map((c) => c.name)
        .filter((n) => n !== 'histogram'),
    );
    expect(out[2]?.errorMessage).toContain('expected marker C3 01');
    expect(out[3]?.errorMessage).toContain('5 bytes, the header alone needs 10');
    expect(out[2]?.data).toBe(records[2]?.data); // failed records keep their bytes
  });

  it('writes a histogram sample (v3) with its histogram as one nested object, the Glue struct column', () => {
    // Prepare
    const histogram = histogramOf([3, 7.5, 12], [5, 10]);
    const metric = metricSample(2, { occurred_at: new Date(at), value: 22.5 / 3, histogram });
    const data = encoder.encode(registry.version('MetricSample', 3), metric).toString('base64');
    // Act
    const [out] = transform.transform([{ recordId: 'h', approximateArrivalTimestamp: at + 1_000, data }]);
    // Assess
    const row = JSON.parse(Buffer.from(out?.data as string, 'base64').toString());
    expect(row.histogram).toEqual({
      count: 3,
      sum: 22.5,
      min: 3,
      max: 12,
      bucket_bounds: [5, 10],
      bucket_counts: [1, 1, 1],
    });
    expect(row.value).toBe(7.5);
  });
});
