/**
 * OTLP exponential histograms in the explicit-bucket form of `pulse.events.Histogram`
 * (MetricSample v3). With base = 2^(2^-scale):
 * - positive bucket index i counts values in (base^i, base^(i+1)];
 * - negative bucket index i counts values in [-base^(i+1), -base^i) (mirrored);
 * - the zero bucket counts values in [-zero_threshold, zero_threshold] ([0, 0] when the
 *   threshold is 0).
 * Each becomes one explicit bucket (lower, upper] with the same bounds, in ascending
 * order; gaps between them become empty buckets. Explicit buckets are closed above, so a
 * negative value exactly on a bound is counted one bucket lower than its exponential
 * bucket says: a difference of one boundary point, not of range.
 */

/** An exponential histogram's buckets, counts as numbers. */
export interface ExponentialBuckets {
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: { offset: number; counts: number[] };
  negative: { offset: number; counts: number[] };
}

/** Explicit buckets: `bounds` strictly ascending, `counts` one longer (bucket i is (bounds[i-1], bounds[i]]). */
export interface ExplicitBuckets {
  bounds: number[];
  counts: number[];
}

/** base^index = 2^(index × 2^-scale), computed as one power of two so adjacent buckets share their bound exactly. */
export function exponentialBound(scale: number, index: number): number {
  return 2 ** (index * 2 ** -scale);
}

/**
 * The explicit buckets of an exponential histogram (see the module comment). Buckets past
 * the range of a double (infinite bounds) are merged into the outermost finite one.
 */
export function explicitBuckets(h: ExponentialBuckets): ExplicitBuckets {
  const bounds: number[] = [];
  const counts: number[] = [];
  /** Counts of buckets whose upper bound is past a double: they go to the last bucket (open above). */
  let overflow = 0;
  /** Appends the bucket (lower, upper] counting `n`; `lower` undefined: from the previous bound (or -infinity). */
  const push = (lower: number | undefined, upper: number, n: number) => {
    const last = bounds.at(-1);
    if (lower !== undefined && Number.isFinite(lower) && (last === undefined || lower > last) && lower < upper) {
      bounds.push(lower); // the first bound, or a gap: an empty bucket up to this one
      counts.push(0);
    }
    const top = bounds.at(-1);
    if (!Number.isFinite(upper)) overflow += n;
    else if (top === undefined || upper > top) {
      bounds.push(upper);
      counts.push(n);
    } else {
      // Within what is already there (a zero bucket wider than the smallest buckets): counted in the bucket below.
      counts[counts.length - 1] = (counts.at(-1) as number) + n;
    }
  };
  const neg = h.negative;
  // Highest index first: the most negative values come first.
  for (let k = neg.counts.length - 1; k >= 0; k--) {
    const i = neg.offset + k;
    push(-exponentialBound(h.scale, i + 1), -exponentialBound(h.scale, i), neg.counts[k] as number);
  }
  if (h.zeroCount > 0 || h.zeroThreshold > 0) {
    const t = h.zeroThreshold;
    push(t > 0 ? -t : undefined, t, h.zeroCount);
  }
  const pos = h.positive;
  for (let k = 0; k < pos.counts.length; k++) {
    const i = pos.offset + k;
    push(exponentialBound(h.scale, i), exponentialBound(h.scale, i + 1), pos.counts[k] as number);
  }
  if (bounds.length === 0) return { bounds: [], counts: [h.zeroCount + overflow] };
  counts.push(overflow); // above the last bound
  return { bounds, counts };
}
