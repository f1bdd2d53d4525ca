import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamDecoder } from '#core/contract/consumer.js';
import type { EventType, MetricSample } from '#core/contract/events.js';
import { AggregateBuilder } from '#core/contract/kpl.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { arbLog, arbMetricV1, arbMetricV2, arbMetricV3 } from '#test/helpers/events.js';

const registry = SchemaRegistry.load();
const encoder = new SingleObjectEncoder();

/** An event with the writer version it is encoded with. */
const arbWritten = fc.oneof(
  arbMetricV1.map((event) => ({ type: 'MetricSample' as EventType, version: 1, event })),
  arbMetricV2.map((event) => ({ type: 'MetricSample' as EventType, version: 2, event })),
  arbMetricV3.map((event) => ({ type: 'MetricSample' as EventType, version: 3, event })),
  arbLog.map((event) => ({ type: 'LogEvent' as EventType, version: 1, event })),
);

/** What a reader of `readerVersion` must see for a metric written with `writerVersion`. */
function expectedMetric(event: MetricSample, writerVersion: number, readerVersion: number): MetricSample {
  const { source: _s, histogram: _h, ...v1 } = event;
  if (readerVersion === 1) return v1;
  const v2 = { ...v1, source: writerVersion === 1 ? null : (event.source ?? null) };
  if (readerVersion === 2) return v2;
  return { ...v2, histogram: writerVersion < 3 ? null : (event.histogram ?? null) };
}

describe('encode → aggregate → de-aggregate → decode', () => {
  it.each([1, 2, 3])('equals the input for every writer version, read as MetricSample v%i', (readerVersion) => {
    const decoder = new StreamDecoder(registry, { MetricSample: readerVersion });
    fc.assert(
      fc.property(fc.array(arbWritten, { minLength: 1, maxLength: 30 }), (written) => {
        // Prepare
        const builder = new AggregateBuilder();
        for (const w of written) {
          const bytes = encoder.encode(registry.version(w.type, w.version), w.event);
          builder.add({ partitionKey: w.event.host || 'h', data: bytes });
        }
        const record = {
          Data: builder.build(),
          SequenceNumber: '49650000000000000000000000000000000000000000000000000001',
          PartitionKey: 'h',
        };
        // Act
        const events = decoder.events(record);
        // Assess
        expect(events.map((e) => e.event)).toEqual(
          written.map((w) =>
            w.type === 'MetricSample' ? expectedMetric(w.event as MetricSample, w.version, readerVersion) : w.event,
          ),
        );
        expect(events.map((e) => e.writer.version)).toEqual(written.map((w) => w.version));
        expect(events.map((e) => e.subSequenceNumber)).toEqual(written.map((_, i) => i));
      }),
      { numRuns: 200 },
    );
  });
});
