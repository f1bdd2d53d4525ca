import { beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistry } from '../../core/contract/registry.js';
import { SingleObjectEncoder } from '../../core/contract/single-object.js';
import { metricSample } from '../helpers/events.js';

describe('handlers/firehose-transform', () => {
  let handler: (event: {
    records: { recordId: string; approximateArrivalTimestamp: number; data: string }[];
  }) => Promise<{ records: Record<string, unknown>[] }>;

  beforeAll(async () => {
    process.env.PULSE_EVENT_TYPE = 'MetricSample';
    ({ handler } = await import('../../handlers/firehose-transform.js'));
  });

  it('answers one record per id with Firehose fields only (no reasons or payloads leak into the answer)', async () => {
    // Prepare
    const registry = SchemaRegistry.load();
    const good = new SingleObjectEncoder().encode(registry.latest('MetricSample'), metricSample(1)).toString('base64');
    // Act
    const out = await handler({
      records: [
        { recordId: '1', approximateArrivalTimestamp: 1, data: good },
        { recordId: '2', approximateArrivalTimestamp: 1, data: Buffer.from('x').toString('base64') },
      ],
    });
    // Assess
    expect(out.records.map((r) => [r.recordId, r.result, Object.keys(r).sort().join(',')])).toEqual([
      ['1', 'Ok', 'data,metadata,recordId,result'],
      ['2', 'ProcessingFailed', 'data,recordId,result'],
    ]);
  });
});
