/**
 * Histogram samples in the windows: the fold carries them, a window takes their `count`
 * observations (count, exact sum, min, max) and their buckets in its sketch, the packed
 * item keeps all of it, and percentiles stay within the bound core/contract/histogram.ts
 * documents: the widest non-empty bucket clipped to [min, max], plus the sketch's 1 %.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '#core/contract/consumer.js';
import type { Histogram, MetricSample } from '#core/contract/events.js';
import { absorbEvents } from '#core/projections/item-writer.js';
import {
  addEvent,
  emptyItem,
  itemCount,
  packMeasures,
  toAttributes,
  unpackMeasures,
  type WindowItem,
} from '#core/projections/window-items.js';
import { percentiles, SUM_SCALE } from '#core/windows/aggregates.js';
import { windowingConfig } from '#core/windows/config.js';
import { type DecodedRecord, foldRecords, initialState } from '#core/windows/fold.js';
import { RELATIVE_ACCURACY } from '#core/windows/sketch.js';
import { arbObservedHistogram, histogramOf, metricSample } from '#test/helpers/events.js';
import { referenceWindows } from '#test/helpers/reference-item-reader.js';

const START = Date.UTC(2026, 10, 22, 12, 0);
const config = windowingConfig({ windowSizesMs: [60_000], outOfOrdernessMs: 0, allowedLatenessMs: 0 });
const KEY = { kind: 'host' as const, name: 'server-001', size: 60_000, start: START };

/** A Kinesis record of metric samples of server-001, in the window at START. */
function record(events: Partial<MetricSample>[]): DecodedRecord {
  return {
    sequenceNumber: '1000',
    partitionKey: 'server-001',
    arrivalMs: START + 59_000,
    events: events.map(
      (e, i) =>
        ({
          type: 'MetricSample',
          event: metricSample(i + 1, { occurred_at: new Date(START + i), metric: 'latency', unit: 'ms', ...e }),
          partitionKey: 'server-001',
          sequenceNumber: '1000',
          subSequenceNumber: i,
          writer: undefined as never,
        }) as StreamEvent,
    ),
    poison: [],
    rawOf: () => Buffer.alloc(0),
  };
}

/** A histogram sample's fields: the histogram and its mean as value. */
const sampleOf = (h: Histogram): Partial<MetricSample> => ({
  value: h.count === 0 ? 0 : (h.sum as number) / h.count,
  histogram: h,
});

/** The window item the fold and the item writer make of one record (the hot path's own functions). */
function windowOf(r: DecodedRecord): WindowItem {
  const fold = foldRecords(initialState(), [r], config);
  expect(fold.quarantined.map((q) => q.reason)).toEqual([]);
  const item = emptyItem(KEY);
  for (const c of fold.contributions) absorbEvents(item, c, fold.table, undefined);
  return item;
}

/** The stored item read back: packed, unpacked. */
function stored(item: WindowItem): WindowItem {
  return { ...item, ...unpackMeasures(packMeasures(item), item.key.start) };
}

/** The widest bucket, clipped to the histogram's [min, max], that holds an observation. */
function widestBucket(h: Histogram): number {
  let w = 0;
  for (let i = 0; i < h.bucket_counts.length; i++) {
    if ((h.bucket_counts[i] as number) === 0) continue;
    const lo = Math.max(i === 0 ? -Infinity : (h.bucket_bounds[i - 1] as number), h.min as number);
    const hi = Math.min(i === h.bucket_bounds.length ? Infinity : (h.bucket_bounds[i] as number), h.max as number);
    w = Math.max(w, hi - lo);
  }
  return w;
}

describe('a histogram sample in a window', () => {
  it('adds its count, sum, min and max, counts as one sample, and its mean is the last value', () => {
    // Prepare: 6 latencies in ms, buckets (…,1] (1,5] (5,10] (10,25] (25,50] (50,…)
    const h = histogramOf([0.4, 3, 7.5, 12, 12, 48.1], [1, 5, 10, 25, 50]);
    // Act
    const item = stored(windowOf(record([sampleOf(h)])));
    // Assess
    const m = item.metrics.get('latency');
    expect(m && { ...m, sketch: undefined }).toEqual({
      count: 6,
      samples: 1,
      sumMicros: 83_000_000n,
      min: 0.4,
      max: 48.1,
      last: 83 / 6,
      lastAt: START,
      sketch: undefined,
    });
    expect(itemCount(item)).toBe(1);
    // representatives 0.4 (min), 3, 7.5, 17.5, 17.5, 37.5: DDSketch takes the value at index ⌊q × 5⌋,
    // so p50 → 7.5 (the observation 7.5), p95 and p99 → 17.5 (the observation 12, in (10, 25])
    const p = percentiles(m as NonNullable<typeof m>);
    expect(Math.abs((p.p50 as number) - 7.5)).toBeLessThanOrEqual(7.5 * RELATIVE_ACCURACY);
    expect(Math.abs((p.p95 as number) - 17.5)).toBeLessThanOrEqual(17.5 * RELATIVE_ACCURACY);
    expect(Math.abs((p.p99 as number) - 17.5)).toBeLessThanOrEqual(17.5 * RELATIVE_ACCURACY);
  });

  it('merges with plain samples of the same metric: counts observations, samples events', () => {
    // Prepare
    const h = histogramOf([10, 20, 30], [15, 25]);
    // Act
    const item = stored(windowOf(record([{ value: 5 }, sampleOf(h), { value: 50 }])));
    // Assess
    const m = item.metrics.get('latency');
    expect([m?.count, m?.samples, m?.sumMicros, m?.min, m?.max, m?.last]).toEqual([5, 3, 115_000_000n, 5, 50, 50]);
    expect(toAttributes(item, 0).n).toEqual({ N: '3' });
  });

  it('without observations only counts as a sample: no min, max or percentiles', () => {
    // Prepare
    const empty = histogramOf([], [1, 2]);
    // Act
    const item = stored(windowOf(record([sampleOf(empty)])));
    // Assess
    const m = item.metrics.get('latency');
    expect([m?.count, m?.samples, m?.sumMicros, m?.min, m?.max, m?.last]).toEqual([0, 1, 0n, Infinity, -Infinity, 0]);
    expect(percentiles(m as NonNullable<typeof m>)).toEqual({ p50: null, p95: null, p99: null });
    expect(itemCount(item)).toBe(1);
  });

  it('of one observation with a sum is that observation, even without min and max', () => {
    // Prepare
    const h: Histogram = { count: 1, sum: 17, min: null, max: null, bucket_bounds: [10, 20], bucket_counts: [0, 1, 0] };
    // Act
    const item = windowOf(record([sampleOf(h)]));
    const back = stored(item);
    // Assess: stored like one plain sample of 17, and read back the same
    expect(packMeasures(item)).toEqual(packMeasures(windowOf(record([{ value: 17 }]))));
    const m = back.metrics.get('latency');
    expect([m?.count, m?.samples, m?.sumMicros, m?.min, m?.max]).toEqual([1, 1, 17_000_000n, 17, 17]);
  });

  it('is quarantined by the fold when invalid, with the reason naming the field', () => {
    // Prepare
    const bad: Histogram = { count: 3, sum: 6, min: 1, max: 3, bucket_bounds: [2], bucket_counts: [1, 1] };
    // Act
    const fold = foldRecords(initialState(), [record([sampleOf(bad)])], config);
    // Assess
    expect(fold.contributions).toEqual([]);
    expect(fold.quarantined.map((q) => [q.code, q.reason])).toEqual([
      ['invalid-event', 'MetricSample is invalid: histogram.bucket_counts must add up to histogram.count'],
    ]);
  });

  it('is read back by the independent item reader as the project reads it', () => {
    // Prepare
    const h = histogramOf([0.4, 3, 7.5, 12, 12, 48.1], [1, 5, 10, 25, 50]);
    const item = windowOf(record([sampleOf(h), { value: 2.25 }, sampleOf(histogramOf([], [1]))]));
    // Act
    const reference = referenceWindows([toAttributes(item, 0)], [60_000]);
    // Assess
    const m = stored(item).metrics.get('latency') as NonNullable<ReturnType<WindowItem['metrics']['get']>>;
    expect(reference.get(`metric|latency|server-001|60000|${START}`)).toEqual({
      count: 7,
      samples: 3,
      sumMicros: m.sumMicros,
      min: 0.4,
      max: 48.1,
      last: 0,
      lastAt: START + 2,
      ...percentiles(m),
    });
  });
});

describe('histogram samples against the observations they summarise (property)', () => {
  it('fold to the same count, exact sum, min and max; percentiles within the widest clipped bucket plus 1 %', () => {
    fc.assert(
      fc.property(
        fc.array(arbObservedHistogram, { minLength: 1, maxLength: 4 }),
        fc.array(
          fc.integer({ min: -100_000, max: 100_000 }).map((c) => c / 100),
          { maxLength: 5 },
        ),
        (histograms, plain) => {
          // Prepare: some histograms (min, max and sum recorded, as OTLP SDKs do) and plain samples
          const hs = histograms.map((o) => histogramOf(o.observations, o.bounds));
          const observations = [...histograms.flatMap((o) => o.observations), ...plain];
          // Act
          const summarised = stored(
            windowOf(record([...hs.map(sampleOf), ...plain.map((value) => ({ value }))])),
          ).metrics.get('latency');
          const individual = emptyItem(KEY);
          for (const x of observations) addEvent(individual, false, 'latency', x, START);
          const direct = individual.metrics.get('latency');
          // Assess
          expect(summarised?.samples).toBe(hs.length + plain.length);
          expect(summarised?.count).toBe(observations.length);
          if (observations.length === 0) return;
          const s = summarised as NonNullable<typeof summarised>;
          const d = direct as NonNullable<typeof direct>;
          expect([s.sumMicros, s.min, s.max]).toEqual([d.sumMicros, d.min, d.max]);
          expect(s.sumMicros).toBe(observations.reduce((n, x) => n + BigInt(Math.round(x * SUM_SCALE)), 0n));
          const bound = Math.max(0, ...hs.filter((h) => h.count > 0).map(widestBucket));
          const ps = percentiles(s);
          const pd = percentiles(d);
          for (const q of ['p50', 'p95', 'p99'] as const) {
            const a = ps[q] as number;
            const b = pd[q] as number;
            // each sketch answers within 1 % of its own k-th value (a representative, an observation)
            expect(Math.abs(a - b)).toBeLessThanOrEqual(bound + 1.02 * RELATIVE_ACCURACY * (Math.abs(a) + Math.abs(b)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
