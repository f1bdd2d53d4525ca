/**
 * Aggregates of one window: count, exact sum, min, max, last value and time,
 * and a DDSketch for p50/p95/p99. Merging is associative and commutative, so a
 * window built from any batching of its events is identical.
 *
 * A histogram sample (MetricSample v3) is `count` observations: they add to the count,
 * sum, min and max, and its buckets go into the sketch at their representative values,
 * weighted by their counts (core/contract/histogram.ts, which bounds the error of the
 * quantiles). `samples` counts the events, which a histogram makes differ from `count`.
 *
 * The sum is kept in integer micro-units (a BigInt, stored as a DynamoDB number):
 * floating-point addition is not associative, so a double sum would differ with
 * the order and grouping of events and could not be checked exactly.
 */
import type { DDSketch } from '@datadog/sketches-js';
import type { Histogram } from '#core/contract/events.js';
import { bucketValues, histogramRange, histogramSum } from '#core/contract/histogram.js';
import { decodeSketch, encodeSketch, mergeSketch, newSketch } from './sketch.js';

/** Micro-units per unit of the sum: values are summed exactly to 1e-6. */
export const SUM_SCALE = 1_000_000;

/** Aggregate of the metric samples in one (metric, host, window). */
export interface MetricAggregate {
  /** Observations: one per plain sample, a histogram's count per histogram sample. */
  count: number;
  /** Samples (events) absorbed: what conservation counts. */
  samples: number;
  /** Sum in micro-units. */
  sumMicros: bigint;
  min: number;
  max: number;
  /** Value of the latest sample (ties on time: the larger value); a histogram sample's is its mean. */
  last: number;
  /** Event time of `last`, epoch ms. */
  lastAt: number;
  sketch: DDSketch;
}

/** An empty aggregate. */
export function emptyMetricAggregate(): MetricAggregate {
  return {
    count: 0,
    samples: 0,
    sumMicros: 0n,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    last: 0,
    lastAt: Number.NEGATIVE_INFINITY,
    sketch: newSketch(),
  };
}

/** Adds one sample in place. */
export function addSample(a: MetricAggregate, value: number, at: number): void {
  a.count++;
  a.samples++;
  a.sumMicros += BigInt(Math.round(value * SUM_SCALE));
  if (value < a.min) a.min = value;
  if (value > a.max) a.max = value;
  if (at > a.lastAt || (at === a.lastAt && value > a.last)) {
    a.last = value;
    a.lastAt = at;
  }
  a.sketch.accept(value);
}

/**
 * Adds one histogram sample in place: its `count` observations, its sum (estimated from
 * the buckets when not recorded), min and max (derived from the buckets when not
 * recorded), each non-empty bucket into the sketch at its representative value with its
 * count as weight; `value` (the mean) and `at` as the sample's last value. A histogram
 * without observations only counts as a sample. The histogram must be valid.
 */
export function addHistogram(a: MetricAggregate, h: Histogram, value: number, at: number): void {
  a.samples++;
  if (at > a.lastAt || (at === a.lastAt && value > a.last)) {
    a.last = value;
    a.lastAt = at;
  }
  const range = histogramRange(h);
  if (!range) return;
  a.count += h.count;
  a.sumMicros += BigInt(Math.round(histogramSum(h) * SUM_SCALE));
  if (range.min < a.min) a.min = range.min;
  if (range.max > a.max) a.max = range.max;
  const values = bucketValues(h, range);
  for (let i = 0; i < values.length; i++) {
    const c = h.bucket_counts[i] as number;
    if (c > 0) a.sketch.accept(values[i] as number, c);
  }
}

/** Merges `b` into `a` in place. */
export function mergeInto(a: MetricAggregate, b: MetricAggregate): void {
  if (b.samples === 0) return;
  a.count += b.count;
  a.samples += b.samples;
  a.sumMicros += b.sumMicros;
  a.min = Math.min(a.min, b.min);
  a.max = Math.max(a.max, b.max);
  if (b.lastAt > a.lastAt || (b.lastAt === a.lastAt && b.last > a.last)) {
    a.last = b.last;
    a.lastAt = b.lastAt;
  }
  mergeSketch(a.sketch, b.sketch);
}

/** A copy of an aggregate that shares nothing with it. */
export function cloneAggregate(a: MetricAggregate): MetricAggregate {
  const sketch = newSketch();
  mergeSketch(sketch, a.sketch);
  return { ...a, sketch };
}

/** Sum as a JS number (for display and averages). */
export function sumOf(a: MetricAggregate): number {
  return Number(a.sumMicros) / SUM_SCALE;
}

/** p50/p95/p99 of the sketch (null when empty), within the sketch's relative accuracy. */
export function percentiles(a: MetricAggregate): { p50: number | null; p95: number | null; p99: number | null } {
  if (a.count === 0) return { p50: null, p95: null, p99: null };
  const q = (p: number) => a.sketch.getValueAtQuantile(p);
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99) };
}

/** Serialised sketch bytes of an aggregate. */
export function sketchBytes(a: MetricAggregate): Buffer {
  return encodeSketch(a.sketch);
}

/** Rebuilds an aggregate from stored fields (`samples` defaults to `count`: no histogram). */
export function restoreMetricAggregate(fields: {
  count: number;
  samples?: number;
  sumMicros: bigint;
  min: number;
  max: number;
  last: number;
  lastAt: number;
  sketch: Uint8Array;
}): MetricAggregate {
  const sketch = decodeSketch(fields.sketch);
  sketch.min = fields.min;
  sketch.max = fields.max;
  sketch.sum = Number(fields.sumMicros) / SUM_SCALE;
  return { ...fields, samples: fields.samples ?? fields.count, sketch };
}
