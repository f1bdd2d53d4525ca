/** Record factories and fast-check arbitraries for Pulse events. */
import fc from 'fast-check';
import type { EventBody, Histogram, LogEvent, MetricSample } from '#core/contract/events.js';
import { eventId } from '#core/contract/events.js';

/** A MetricSample body with sensible defaults; override any field. */
export function metricBody(overrides: Partial<EventBody<'MetricSample'>> = {}): EventBody<'MetricSample'> {
  return {
    occurred_at: new Date(Date.UTC(2026, 10, 22, 12, 0, 0)),
    host: 'server-001',
    metric: 'cpu_utilization',
    value: 42.5,
    unit: 'percent',
    region: 'us-east-1',
    environment: 'production',
    tags: { team: 'infra' },
    ...overrides,
  };
}

/** A full MetricSample (with identity). */
export function metricSample(seq = 1, overrides: Partial<MetricSample> = {}): MetricSample {
  return { event_id: eventId('p-1', seq), producer_id: 'p-1', producer_seq: seq, ...metricBody(), ...overrides };
}

/** A full LogEvent (with identity). */
export function logEvent(seq = 1, overrides: Partial<LogEvent> = {}): LogEvent {
  return {
    event_id: eventId('p-1', seq),
    producer_id: 'p-1',
    producer_seq: seq,
    occurred_at: new Date(Date.UTC(2026, 10, 22, 12, 0, 0)),
    host: 'server-001',
    service: 'checkout',
    level: 'ERROR',
    message: 'payment declined',
    region: 'us-east-1',
    environment: 'production',
    attributes: { trace_id: 'abc' },
    ...overrides,
  };
}

/** Largest long avsc encodes from a JS number (its 'safe long' bound). */
const AVSC_MAX_LONG = 9_007_199_254_740_990;
const text = fc.string({ maxLength: 24, unit: 'grapheme' });
const time = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms));
const identity = fc
  .record({ producer_id: fc.uuid(), producer_seq: fc.integer({ min: 1, max: AVSC_MAX_LONG }) })
  .map((i) => ({ ...i, event_id: eventId(i.producer_id, i.producer_seq) }));
/** Label maps; `__proto__` is refused by the encoder (see single-object.ts), so never generated. */
const labels = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__'),
  text,
  { maxKeys: 4 },
);

/** Any valid MetricSample in the v1 shape (no `source`). */
export const arbMetricV1: fc.Arbitrary<MetricSample> = fc
  .record({
    identity,
    occurred_at: time,
    host: text,
    metric: text,
    value: fc.double({ noNaN: true }),
    unit: text,
    region: text,
    environment: text,
    tags: labels,
  })
  .map(({ identity: id, ...rest }) => ({ ...id, ...rest }));

/** Any valid MetricSample in the v2 shape (`source` set or null). */
export const arbMetricV2: fc.Arbitrary<MetricSample> = fc
  .tuple(arbMetricV1, fc.option(text, { nil: null }))
  .map(([m, source]) => ({ ...m, source }));

/** Any valid LogEvent. */
export const arbLog: fc.Arbitrary<LogEvent> = fc
  .record({
    identity,
    occurred_at: time,
    host: text,
    service: text,
    level: fc.constantFrom('DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'),
    message: fc.string({ maxLength: 200, unit: 'grapheme' }),
    region: text,
    environment: text,
    attributes: labels,
  })
  .map(({ identity: id, ...rest }) => ({ ...id, ...rest }));

/**
 * The histogram an SDK records for `observations` with explicit `bounds` (ascending):
 * bucket i counts the observations in (bounds[i-1], bounds[i]]; the sum is added in
 * order, as an SDK adds; min and max kept unless `record` leaves them out.
 */
export function histogramOf(
  observations: readonly number[],
  bounds: readonly number[],
  record: { sum?: boolean; minMax?: boolean } = {},
): Histogram {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let sum = 0;
  for (const x of observations) {
    let i = 0;
    while (i < bounds.length && x > (bounds[i] as number)) i++;
    counts[i] = (counts[i] as number) + 1;
    sum += x;
  }
  const some = observations.length > 0;
  return {
    count: observations.length,
    sum: record.sum === false ? null : sum,
    min: record.minMax === false || !some ? null : Math.min(...observations),
    max: record.minMax === false || !some ? null : Math.max(...observations),
    bucket_bounds: [...bounds],
    bucket_counts: counts,
  };
}

/** Observations with 2 decimals in [-1000, 1000] and 0 to 12 strictly ascending bounds in that range. */
export const arbObservedHistogram: fc.Arbitrary<{ observations: number[]; bounds: number[] }> = fc.record({
  observations: fc.array(
    fc.integer({ min: -100_000, max: 100_000 }).map((c) => c / 100),
    { maxLength: 60 },
  ),
  bounds: fc
    .uniqueArray(fc.integer({ min: -1_000, max: 1_000 }), { maxLength: 12 })
    .map((b) => b.sort((x, y) => x - y)),
});

/** Any valid histogram (OTLP semantics), with sum, min and max each recorded or not. */
export const arbHistogram: fc.Arbitrary<Histogram> = fc
  .tuple(arbObservedHistogram, fc.boolean(), fc.boolean())
  .filter(([o, sum, minMax]) => o.observations.length === 0 || o.bounds.length > 0 || sum || minMax)
  .map(([o, sum, minMax]) => histogramOf(o.observations, o.bounds, { sum, minMax }));

/** Any valid MetricSample in the v3 shape: a histogram sample, its value the mean. */
export const arbMetricV3: fc.Arbitrary<MetricSample> = fc.tuple(arbMetricV2, arbHistogram).map(([m, histogram]) => ({
  ...m,
  value: histogram.count === 0 ? 0 : (histogram.sum ?? 0) / histogram.count,
  histogram,
}));
