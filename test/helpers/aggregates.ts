/** Aggregates for tests: built from samples, and read back as plain values to compare. */
import { addSample, emptyMetricAggregate, type MetricAggregate, percentiles } from '#core/windows/aggregates.js';

/** An aggregate of samples (`at` offsets from `base`). */
export function aggregateOf(samples: readonly { value: number; at: number }[], base = 0): MetricAggregate {
  const a = emptyMetricAggregate();
  for (const s of samples) addSample(a, s.value, base + s.at);
  return a;
}

/** What an aggregate holds, by an independent reading: its fields and the quantiles it answers. */
export function comparable(a: MetricAggregate) {
  return {
    count: a.count,
    sum: a.sumMicros,
    min: a.min,
    max: a.max,
    last: a.last,
    lastAt: a.lastAt,
    ...percentiles(a),
  };
}
