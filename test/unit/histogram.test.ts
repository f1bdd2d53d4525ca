/** The Histogram contract (core/contract/histogram.ts): validation, range, representative values, mean. */
import { describe, expect, it } from 'vitest';
import type { Histogram } from '#core/contract/events.js';
import {
  bucketValues,
  HISTOGRAM_MAX_BOUNDS,
  histogramMean,
  histogramRange,
  histogramSum,
  invalidHistogram,
} from '#core/contract/histogram.js';

/** 10 observations in (0,10], (10,20], (20,50], above 50: sum 200, min 2, max 80. */
const valid = (): Histogram => ({
  count: 10,
  sum: 200,
  min: 2,
  max: 80,
  bucket_bounds: [10, 20, 50],
  bucket_counts: [4, 3, 2, 1],
});

describe('invalidHistogram', () => {
  it('accepts a valid histogram whose value is its mean', () => {
    expect(invalidHistogram(valid(), 20)).toBeUndefined();
    expect(invalidHistogram({ ...valid(), sum: null }, 123)).toBeUndefined(); // no sum: the producer's estimate
    expect(
      invalidHistogram({ count: 0, sum: 0, min: null, max: null, bucket_bounds: [1], bucket_counts: [0, 0] }, 0),
    ).toBeUndefined();
    expect(invalidHistogram({ ...valid(), bucket_bounds: [], bucket_counts: [10] }, 20)).toBeUndefined();
  });

  it.each<[string, Partial<Histogram>, number, string]>([
    ['count negative', { count: -1 }, 20, 'histogram.count must be a whole number ≥ 0'],
    ['count fractional', { count: 1.5 }, 20, 'histogram.count must be a whole number ≥ 0'],
    [
      'a bound infinite',
      { bucket_bounds: [10, Infinity, 50] },
      20,
      'histogram.bucket_bounds[1] must be a finite number',
    ],
    ['a bound NaN', { bucket_bounds: [Number.NaN, 20, 50] }, 20, 'histogram.bucket_bounds[0] must be a finite number'],
    [
      'bounds repeated',
      { bucket_bounds: [10, 20, 20] },
      20,
      'histogram.bucket_bounds must be strictly ascending: bucket_bounds[2] is not above bucket_bounds[1]',
    ],
    [
      'bounds descending',
      { bucket_bounds: [10, 5, 50] },
      20,
      'histogram.bucket_bounds must be strictly ascending: bucket_bounds[1] is not above bucket_bounds[0]',
    ],
    [
      'as many counts as bounds',
      { bucket_counts: [4, 3, 3] },
      20,
      'histogram.bucket_counts has 3 entries for 3 bounds: it needs one more than bucket_bounds (the last bucket lies above the last bound)',
    ],
    ['a negative count', { bucket_counts: [4, 3, -2, 5] }, 20, 'histogram.bucket_counts[2] must be a whole number ≥ 0'],
    [
      'counts not adding up',
      { bucket_counts: [4, 3, 2, 2] },
      20,
      'histogram.bucket_counts must add up to histogram.count',
    ],
    ['sum infinite', { sum: Infinity }, 20, 'histogram.sum must be null or a finite number of magnitude at most 1e15'],
    ['min NaN', { min: Number.NaN }, 20, 'histogram.min must be null or a finite number of magnitude at most 1e15'],
    ['max too large', { max: 2e15 }, 20, 'histogram.max must be null or a finite number of magnitude at most 1e15'],
    ['min above max', { min: 90 }, 20, 'histogram.min must not be above histogram.max'],
    [
      'no way to place observations',
      { sum: null, min: null, max: null, bucket_bounds: [], bucket_counts: [10] },
      20,
      'a histogram with observations and no bucket bounds needs its sum, min or max to place them',
    ],
    [
      'value not the mean',
      {},
      21,
      "value must be the histogram's mean, histogram.sum / histogram.count (0 when count is 0): readers before v3 see only value",
    ],
    [
      'value not 0 without observations',
      { count: 0, sum: 0, min: null, max: null, bucket_counts: [0, 0, 0, 0] },
      1,
      "value must be the histogram's mean, histogram.sum / histogram.count (0 when count is 0): readers before v3 see only value",
    ],
  ])('refuses %s, naming what is wrong', (_case, change, value, reason) => {
    // Act
    const why = invalidHistogram({ ...valid(), ...change }, value);
    // Assess
    expect(why).toBe(reason);
  });

  it(`refuses more than ${HISTOGRAM_MAX_BOUNDS} bounds`, () => {
    // Prepare
    const bounds = Array.from({ length: HISTOGRAM_MAX_BOUNDS + 1 }, (_, i) => i);
    const counts = [10, ...bounds.map(() => 0)];
    // Act
    const why = invalidHistogram({ ...valid(), bucket_bounds: bounds, bucket_counts: counts }, 20);
    // Assess
    expect(why).toBe(
      "histogram.bucket_bounds has 1025 bounds, above the limit of 1024: merge buckets (or lower the exponential histogram's scale)",
    );
  });

  it('accepts the value within rounding of sum / count', () => {
    const h: Histogram = { count: 3, sum: 0.3, min: 0.1, max: 0.1, bucket_bounds: [], bucket_counts: [3] };
    expect(invalidHistogram(h, 0.1)).toBeUndefined(); // 0.3 / 3 is 0.09999999999999999
  });
});

describe('histogramRange and bucketValues', () => {
  it('keeps recorded min and max; inner buckets at their midpoints, open buckets at min and max', () => {
    // Act
    const range = histogramRange(valid());
    // Assess
    expect(range).toEqual({ min: 2, max: 80 });
    expect(bucketValues(valid(), range as { min: number; max: number })).toEqual([2, 15, 35, 80]);
  });

  it('derives min and max from the outermost non-empty buckets when not recorded', () => {
    // Prepare: (10,20] and (20,50] hold the observations
    const h: Histogram = { ...valid(), min: null, max: null, bucket_counts: [0, 6, 4, 0] };
    // Act
    const range = histogramRange(h);
    // Assess
    expect(range).toEqual({ min: 10, max: 50 });
    expect(bucketValues(h, range as { min: number; max: number })).toEqual([Number.NaN, 15, 35, Number.NaN]);
  });

  it('puts open buckets without min and max at their finite bound (as Prometheus)', () => {
    // Prepare: observations in (-inf,10] and (50,+inf)
    const h: Histogram = { ...valid(), min: null, max: null, bucket_counts: [5, 0, 0, 5] };
    // Act
    const range = histogramRange(h);
    // Assess
    expect(range).toEqual({ min: 10, max: 50 });
    expect(bucketValues(h, range as { min: number; max: number })).toEqual([10, Number.NaN, Number.NaN, 50]);
  });

  it('clamps midpoints to [min, max]', () => {
    // Prepare: all 10 observations in (20,50], between 21 and 24
    const h: Histogram = { ...valid(), sum: 225, min: 21, max: 24, bucket_counts: [0, 0, 10, 0] };
    // Act
    const values = bucketValues(h, histogramRange(h) as { min: number; max: number });
    // Assess
    expect(values[2]).toBe(24);
  });

  it('takes a single observation with a known sum as that sum', () => {
    const h: Histogram = { count: 1, sum: 17, min: null, max: null, bucket_bounds: [10, 20], bucket_counts: [0, 1, 0] };
    expect(histogramRange(h)).toEqual({ min: 17, max: 17 });
    expect(bucketValues(h, { min: 17, max: 17 })).toEqual([Number.NaN, 17, Number.NaN]);
  });

  it('places the one bucket of a histogram without bounds at its mean, else the middle of [min, max]', () => {
    const withSum: Histogram = { count: 4, sum: 10, min: 1, max: 5, bucket_bounds: [], bucket_counts: [4] };
    expect(bucketValues(withSum, histogramRange(withSum) as { min: number; max: number })).toEqual([2.5]);
    const noSum: Histogram = { ...withSum, sum: null };
    expect(bucketValues(noSum, histogramRange(noSum) as { min: number; max: number })).toEqual([3]);
  });

  it('has no range without observations', () => {
    expect(histogramRange({ ...valid(), count: 0, bucket_counts: [0, 0, 0, 0] })).toBeUndefined();
  });
});

describe('histogramSum and histogramMean', () => {
  it('use the recorded sum', () => {
    expect([histogramSum(valid()), histogramMean(valid())]).toEqual([200, 20]);
  });

  it('estimate the sum from the representative values when none was recorded', () => {
    // Prepare: 4 × 2 + 3 × 15 + 2 × 35 + 1 × 80 = 203
    const h: Histogram = { ...valid(), sum: null };
    // Act, Assess
    expect([histogramSum(h), histogramMean(h)]).toEqual([203, 20.3]);
  });

  it('are 0 without observations', () => {
    const empty: Histogram = { count: 0, sum: null, min: null, max: null, bucket_bounds: [1], bucket_counts: [0, 0] };
    expect([histogramSum(empty), histogramMean(empty)]).toEqual([0, 0]);
  });
});
