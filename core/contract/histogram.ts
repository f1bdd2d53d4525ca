/**
 * The semantics of `pulse.events.Histogram` (MetricSample v3): what makes one valid,
 * and how its buckets stand for the observations they count, so that every reader
 * (the windows, the lake, a producer computing `value`) places them the same way.
 *
 * Buckets are OTLP explicit buckets: N finite bounds, strictly ascending; N + 1 counts;
 * bucket i covers (bounds[i-1], bounds[i]], the first from -infinity, the last to
 * +infinity. Each non-empty bucket is represented by one value, its observations' stand-in:
 * - an inner bucket, by its midpoint;
 * - the first (open below), by the histogram's min; the last (open above), by its max;
 * - the only bucket of a histogram without bounds, by the mean (or the middle of [min, max]);
 * every representative clamped to [min, max]. When the source did not record min or max,
 * they are the outermost finite bound of the outermost non-empty bucket (as Prometheus
 * does for its open buckets); a single observation with a known sum is that sum.
 *
 * Error bound: the observations of a bucket lie in it and in [min, max], and so does its
 * representative; the representatives rise with the buckets, so the k-th smallest
 * representative belongs to the bucket holding the k-th smallest observation. A quantile
 * computed from the representatives is therefore within the width of that bucket clipped
 * to [min, max] (half the width for an inner bucket wholly inside [min, max]) of the exact
 * quantile; across several histograms, within the widest such bucket. With min and max
 * recorded, that width is finite even for the open buckets; derived, it is not bounded.
 */
import type { Histogram } from './events.js';

/**
 * Most bucket bounds a histogram may have. An OTLP exponential histogram of the default
 * 160 buckets per sign maps to at most 321 bounds; 1,024 leaves room while keeping a
 * window item's sketch (one bin per distinct representative) within a few kilobytes.
 */
export const HISTOGRAM_MAX_BOUNDS = 1_024;

/**
 * Largest magnitude of a sum, min or max, as of a sample's `value`: the windows sum in
 * exact micro-units, and DynamoDB numbers keep 38 digits.
 */
const MAX_MAGNITUDE = 1e15;

const wholeCount = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/**
 * Why a histogram breaks the contract, naming the field (never a value), or undefined.
 * `value` is the sample's value: it must be the mean, sum / count (0 when count is 0),
 * as readers before v3 see only it (with no sum recorded, the producer's estimate stands).
 */
export function invalidHistogram(h: Histogram, value: number): string | undefined {
  if (!wholeCount(h.count)) return 'histogram.count must be a whole number ≥ 0';
  const bounds = h.bucket_bounds;
  const counts = h.bucket_counts;
  if (bounds.length > HISTOGRAM_MAX_BOUNDS)
    return `histogram.bucket_bounds has ${bounds.length} bounds, above the limit of ${HISTOGRAM_MAX_BOUNDS}: merge buckets (or lower the exponential histogram's scale)`;
  for (let i = 0; i < bounds.length; i++) {
    if (!Number.isFinite(bounds[i])) return `histogram.bucket_bounds[${i}] must be a finite number`;
    if (i > 0 && !((bounds[i] as number) > (bounds[i - 1] as number)))
      return `histogram.bucket_bounds must be strictly ascending: bucket_bounds[${i}] is not above bucket_bounds[${i - 1}]`;
  }
  if (counts.length !== bounds.length + 1)
    return `histogram.bucket_counts has ${counts.length} entries for ${bounds.length} bounds: it needs one more than bucket_bounds (the last bucket lies above the last bound)`;
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    if (!wholeCount(counts[i])) return `histogram.bucket_counts[${i}] must be a whole number ≥ 0`;
    total += counts[i] as number;
  }
  if (total !== h.count) return 'histogram.bucket_counts must add up to histogram.count';
  for (const field of ['sum', 'min', 'max'] as const) {
    const v = h[field];
    if (v !== null && !(Number.isFinite(v) && Math.abs(v) <= MAX_MAGNITUDE))
      return `histogram.${field} must be null or a finite number of magnitude at most 1e15`;
  }
  if (h.min !== null && h.max !== null && h.min > h.max) return 'histogram.min must not be above histogram.max';
  if (h.count > 0 && bounds.length === 0 && h.sum === null && h.min === null && h.max === null)
    return 'a histogram with observations and no bucket bounds needs its sum, min or max to place them';
  if (h.count === 0 ? value !== 0 : h.sum !== null && !sameNumber(value, h.sum / h.count))
    return "value must be the histogram's mean, histogram.sum / histogram.count (0 when count is 0): readers before v3 see only value";
  return undefined;
}

/** Equal within rounding: a producer may divide in another order than this module. */
function sameNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.abs(b);
}

/** The range of a histogram's observations. */
export interface HistogramRange {
  min: number;
  max: number;
}

/**
 * The observations' min and max: as recorded, else derived from the outermost non-empty
 * buckets (see the module comment). Undefined for a histogram without observations.
 * The histogram must be valid ({@link invalidHistogram}).
 */
export function histogramRange(h: Histogram): HistogramRange | undefined {
  if (h.count === 0) return undefined;
  const bounds = h.bucket_bounds;
  const counts = h.bucket_counts;
  const n = bounds.length;
  const mean = h.sum === null ? undefined : h.sum / h.count;
  // a single observation with a known sum is that sum
  const single = h.count === 1 ? mean : undefined;
  let lowest = 0;
  while ((counts[lowest] as number) === 0) lowest++;
  let highest = n;
  while ((counts[highest] as number) === 0) highest--;
  const lower = (i: number) => (i === 0 ? undefined : (bounds[i - 1] as number));
  const upper = (i: number) => (i === n ? undefined : (bounds[i] as number));
  let min = h.min ?? single ?? lower(lowest) ?? upper(lowest) ?? mean ?? (h.max as number);
  let max = h.max ?? single ?? upper(highest) ?? lower(highest) ?? mean ?? min;
  // a derived end never crosses a recorded one
  if (h.min === null && min > max) min = max;
  if (h.max === null && max < min) max = min;
  return { min, max };
}

/**
 * The representative value of each bucket (see the module comment), NaN for an empty
 * bucket. `range` is {@link histogramRange} of the same histogram.
 */
export function bucketValues(h: Histogram, range: HistogramRange): number[] {
  const bounds = h.bucket_bounds;
  const n = bounds.length;
  const { min, max } = range;
  const out: number[] = [];
  for (let i = 0; i <= n; i++) {
    if ((h.bucket_counts[i] as number) === 0) {
      out.push(Number.NaN);
      continue;
    }
    let v: number;
    if (n === 0) v = h.sum !== null ? h.sum / h.count : min + (max - min) / 2;
    else if (i === 0) v = min;
    else if (i === n) v = max;
    else {
      const lo = bounds[i - 1] as number;
      v = lo + ((bounds[i] as number) - lo) / 2;
    }
    out.push(v < min ? min : v > max ? max : v);
  }
  return out;
}

/** The sum of the observations: as recorded, else the sum of the representative values. */
export function histogramSum(h: Histogram): number {
  if (h.sum !== null) return h.sum;
  const range = histogramRange(h);
  if (!range) return 0;
  const values = bucketValues(h, range);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const c = h.bucket_counts[i] as number;
    if (c > 0) sum += c * (values[i] as number);
  }
  return sum;
}

/**
 * The `value` a histogram sample carries: the mean of its observations, sum / count,
 * 0 when it has none (without a recorded sum, the mean of the representative values).
 */
export function histogramMean(h: Histogram): number {
  return h.count === 0 ? 0 : histogramSum(h) / h.count;
}
