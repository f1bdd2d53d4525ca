/**
 * Seed 003's service level objectives, one definition for local mode's summary and
 * dashboard and for the CloudWatch alarms of a deployed stage:
 *
 * - **Ingest availability**: requests answered without a server error (5xx), over all
 *   requests. Client errors (4xx, 429 throttling included: the client is told to retry
 *   after a second) do not count against it, as API Gateway's `5XXError` does not.
 * - **Ingest latency**: the 95th percentile of the time to answer a request.
 * - **Data loss**: events the stream acknowledged that reach neither the windows nor
 *   the lake (the larger of the two gaps), over events acknowledged.
 * - **Freshness**: the 95th percentile of the time from a record's arrival on the
 *   stream to its window being visible. Arrival, not event time: a host's clock skew
 *   or an agent replaying its buffer would otherwise count against the pipeline.
 *   The bound follows the flush interval (state is held that long by design).
 *
 * Pure: no I/O.
 */

/** Seed 003's targets. */
export const SLO_TARGETS = Object.freeze({
  /** Fraction of ingest requests answered without a 5xx. */
  ingestAvailability: 0.999,
  /** Ingest p95 latency bound, ms. */
  ingestP95Ms: 500,
  /** Largest fraction of acknowledged events allowed missing from windows or lake. */
  dataLossRatio: 0.0001,
  /** Freshness bound beyond the flush interval, ms (Lambda batching, the write, a retry). */
  freshnessMarginMs: 60_000,
});

/** The freshness bound for a flush interval: the interval plus {@link SLO_TARGETS.freshnessMarginMs}. */
export function freshnessBoundMs(flushIntervalSeconds: number): number {
  if (!(flushIntervalSeconds >= 0) || !Number.isFinite(flushIntervalSeconds)) {
    throw new RangeError(`flush interval must be a non-negative number of seconds, got ${flushIntervalSeconds}`);
  }
  return flushIntervalSeconds * 1_000 + SLO_TARGETS.freshnessMarginMs;
}

/** What the SLIs are computed from. */
export interface SliInputs {
  /** Ingest requests answered, and how many of them with a 5xx. */
  ingest: { requests: number; serverErrors: number; p95Ms: number | null };
  /** Events the stream acknowledged. */
  acknowledged: number;
  /** Of those, accounted for by the hot path (windowed, late or quarantined). */
  inWindows: number;
  /** Of those, accounted for by the lake (rows, or records that cannot decode). */
  inLake: number;
  /** Stream arrival to visible window, 95th percentile, ms (null: nothing measured). */
  freshnessP95Ms: number | null;
  flushIntervalSeconds: number;
}

/** One SLI against its objective; `met` is null when there is nothing to measure. */
export interface SloResult {
  value: number | null;
  objective: number;
  /** `min`: the value must be at least the objective; `max`: at most. */
  kind: 'min' | 'max';
  met: boolean | null;
}

/** The four SLOs of a run. */
export interface SloReport {
  ingest_availability: SloResult;
  ingest_p95_ms: SloResult;
  data_loss_ratio: SloResult;
  freshness_p95_ms: SloResult;
  /** The counts behind the ratios. */
  basis: { ingest_requests: number; ingest_server_errors: number; acknowledged: number; missing: number };
}

function result(value: number | null, objective: number, kind: 'min' | 'max'): SloResult {
  return {
    value,
    objective,
    kind,
    met: value === null ? null : kind === 'min' ? value >= objective : value <= objective,
  };
}

/** Evaluates the SLIs of `i` against {@link SLO_TARGETS}. */
export function evaluateSlos(i: SliInputs): SloReport {
  const availability = i.ingest.requests === 0 ? null : 1 - i.ingest.serverErrors / i.ingest.requests;
  const missing = Math.max(0, i.acknowledged - i.inWindows, i.acknowledged - i.inLake);
  const loss = i.acknowledged === 0 ? null : missing / i.acknowledged;
  return {
    ingest_availability: result(availability, SLO_TARGETS.ingestAvailability, 'min'),
    ingest_p95_ms: result(i.ingest.requests === 0 ? null : i.ingest.p95Ms, SLO_TARGETS.ingestP95Ms, 'max'),
    data_loss_ratio: result(loss, SLO_TARGETS.dataLossRatio, 'max'),
    freshness_p95_ms: result(i.freshnessP95Ms, freshnessBoundMs(i.flushIntervalSeconds), 'max'),
    basis: {
      ingest_requests: i.ingest.requests,
      ingest_server_errors: i.ingest.serverErrors,
      acknowledged: i.acknowledged,
      missing,
    },
  };
}

/** One line for people: each SLO's value, objective and whether it was met. */
export function describeSlos(r: SloReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(x === 1 || x === 0 ? 0 : 3)} %`;
  const ms = (x: number) => `${Math.round(x)} ms`;
  const one = (name: string, s: SloResult, show: (x: number) => string) =>
    s.value === null
      ? `${name} not measured`
      : `${name} ${show(s.value)} (${s.kind === 'min' ? '≥' : '≤'} ${show(s.objective)}, ${s.met ? 'met' : 'MISSED'})`;
  return [
    one('ingest availability', r.ingest_availability, pct),
    one('ingest p95', r.ingest_p95_ms, ms),
    one('data loss', r.data_loss_ratio, pct),
    one('freshness p95', r.freshness_p95_ms, ms),
  ].join('; ');
}
