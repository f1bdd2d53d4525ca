/**
 * Aggregates of one window: count, exact sum, min, max, last value and time,
 * and a DDSketch for p50/p95/p99. Merging is associative and commutative, so a
 * window built from any batching of its events is identical.
 *
 * The sum is kept in integer micro-units (a BigInt, stored as a DynamoDB number):
 * floating-point addition is not associative, so a double sum would differ with
 * the order and grouping of events and could not be checked exactly.
 */
import type { DDSketch } from '@datadog/sketches-js';
import { decodeSketch, encodeSketch, mergeSketch, newSketch } from './sketch.js';

/** Micro-units per unit of the sum: values are summed exactly to 1e-6. */
export const SUM_SCALE = 1_000_000;

/** Aggregate of the metric samples in one (metric, host, window). */
export interface MetricAggregate {
  count: number;
  /** Sum in micro-units. */
  sumMicros: bigint;
  min: number;
  max: number;
  /** Value of the latest sample (ties on time: the larger value). */
  last: number;
  /** Event time of `last`, epoch ms. */
  lastAt: number;
  sketch: DDSketch;
}

/** An empty aggregate. */
export function emptyMetricAggregate(): MetricAggregate {
  return {
    count: 0,
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
  a.sumMicros += BigInt(Math.round(value * SUM_SCALE));
  if (value < a.min) a.min = value;
  if (value > a.max) a.max = value;
  if (at > a.lastAt || (at === a.lastAt && value > a.last)) {
    a.last = value;
    a.lastAt = at;
  }
  a.sketch.accept(value);
}

/** Merges `b` into `a` in place. */
export function mergeInto(a: MetricAggregate, b: MetricAggregate): void {
  if (b.count === 0) return;
  a.count += b.count;
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

/** Rebuilds an aggregate from stored fields. */
export function restoreMetricAggregate(fields: {
  count: number;
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
  return { ...fields, sketch };
}
