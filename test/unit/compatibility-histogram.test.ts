/**
 * MetricSample v3 (`histogram`) with the readers before it and after it: old readers read
 * histogram samples as their mean, the v3 reader reads old data with no histogram, and
 * producers write v3 only for histogram samples.
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '#core/contract/errors.js';
import type { MetricSample } from '#core/contract/events.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectDecoder, SingleObjectEncoder } from '#core/contract/single-object.js';
import { WriterVersions } from '#core/contract/writer-versions.js';
import { histogramOf, metricSample } from '#test/helpers/events.js';

const registry = SchemaRegistry.load();
const encoder = new SingleObjectEncoder();
const latency = histogramOf([0.4, 3, 7.5, 12, 12, 48.1], [1, 5, 10, 25, 50]);

/** A v3 histogram sample of latency in ms: 6 observations, mean 13.833333… */
const histogramSample = (): MetricSample =>
  metricSample(7, {
    metric: 'http_server_duration',
    unit: 'ms',
    value: (latency.sum as number) / latency.count,
    source: 'otlp',
    histogram: latency,
  });

describe('MetricSample v3 and the readers before it', () => {
  it('registers v3 with its own fingerprint', () => {
    // Act
    const versions = registry.versions('MetricSample').map((v) => [v.version, v.fingerprintHex]);
    // Assess
    expect(versions).toEqual([
      [1, 'd550220a6ca93879'],
      [2, 'b1268751800d05fd'],
      [3, '1e2356a54ba40509'],
    ]);
  });

  it.each([1, 2])('a v%i reader reads v3 histogram data as its mean, the histogram ignored', (reader) => {
    // Prepare
    const event = histogramSample();
    const bytes = encoder.encode(registry.version('MetricSample', 3), event);
    // Act
    const decoded = new SingleObjectDecoder(registry, { MetricSample: reader }).decode(bytes);
    // Assess
    const { histogram: _h, source, ...v1 } = event;
    expect(decoded.writer.version).toBe(3);
    expect(decoded.event).toEqual(reader === 1 ? v1 : { ...v1, source });
    expect((decoded.event as MetricSample).value).toBe(13.833333333333334);
    expect('histogram' in decoded.event).toBe(false);
  });

  it('a v1 reader built by plain avsc from the v1 file (no Pulse code) reads v3 data too', () => {
    // Prepare
    const v1 = avro.Type.forSchema(registry.version('MetricSample', 1).schema);
    const v3 = avro.Type.forSchema(registry.version('MetricSample', 3).schema);
    const body = v3.toBuffer({ ...histogramSample(), occurred_at: 1_795_000_000_000 });
    // Act
    const read = v1.fromBuffer(body, v1.createResolver(v3)) as Record<string, unknown>;
    // Assess
    expect(read.value).toBe(13.833333333333334);
    expect(Object.keys(read)).not.toContain('histogram');
  });

  it.each([1, 2])('the v3 reader reads v%i data with histogram null', (writer) => {
    // Prepare
    const { source: _s, ...v1 } = metricSample(3, { source: 'agent' });
    const event = writer === 1 ? v1 : metricSample(3, { source: 'agent' });
    const bytes = encoder.encode(registry.version('MetricSample', writer), event);
    // Act
    const decoded = new SingleObjectDecoder(registry, { MetricSample: 3 }).decode(bytes);
    // Assess
    expect(decoded.event).toEqual({ ...event, source: writer === 1 ? null : 'agent', histogram: null });
  });

  it('the v3 reader reads a v3 histogram sample whole', () => {
    // Prepare
    const event = histogramSample();
    // Act
    const decoded = new SingleObjectDecoder(registry).decode(
      encoder.encode(registry.version('MetricSample', 3), event),
    );
    // Assess
    expect(decoded.event).toEqual(event);
    expect((decoded.event as MetricSample).histogram).toEqual({
      count: 6,
      sum: 83,
      min: 0.4,
      max: 48.1,
      bucket_bounds: [1, 5, 10, 25, 50],
      bucket_counts: [1, 1, 1, 2, 1, 0],
    });
  });
});

describe('WriterVersions: v3 only for histogram samples', () => {
  it('writes a plain sample with v2 and a histogram sample with v3; one byte apart with the same fields', () => {
    // Prepare
    const writers = new WriterVersions(registry);
    const plain = metricSample(1, { source: 'agent' });
    // Act
    const plainWriter = writers.of('MetricSample', plain);
    const nullWriter = writers.of('MetricSample', { ...plain, histogram: null });
    const histogramWriter = writers.of('MetricSample', histogramSample());
    // Assess: v3 with a null histogram would cost the union's branch byte on every event
    expect([plainWriter.version, nullWriter.version, histogramWriter.version]).toEqual([2, 2, 3]);
    expect(writers.of('LogEvent', {}).version).toBe(1);
    const asV3 = encoder.encode(registry.version('MetricSample', 3), { ...plain, histogram: null }).length;
    expect(encoder.encode(plainWriter, plain).length).toBe(asV3 - 1);
  });

  it('writes every sample with a pinned version, and refuses a histogram the pinned version cannot carry', () => {
    // Prepare
    const pinned3 = new WriterVersions(registry, { MetricSample: 3 });
    const pinned2 = new WriterVersions(registry, { MetricSample: 2 });
    // Act
    const plainAs3 = pinned3.of('MetricSample', metricSample(1)).version;
    const refused = () => pinned2.of('MetricSample', histogramSample());
    // Assess
    expect(plainAs3).toBe(3);
    expect(pinned2.of('MetricSample', metricSample(1)).version).toBe(2);
    expect(refused).toThrow(InvalidEventError);
    expect(refused).toThrow(
      'event does not match schema MetricSample v2 (pinned): invalid field(s) histogram (a histogram sample needs MetricSample v3 or later)',
    );
  });
});
