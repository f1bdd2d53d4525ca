/**
 * EMF pieces every Pulse function shares: the namespace and dimension names the
 * dashboard and alarms read (infra/constructs/observability.ts and slo.ts), the
 * data-loss SLO's counts, documents of many values per metric (CloudWatch computes
 * percentiles over them), and counts bucketed by minute.
 */
import { FUNCTION_NAME_DIMENSION } from '#core/metrics/names.js';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Values of one metric in one EMF document. EMF takes up to 100, but Powertools
 * publishes a document by itself on a metric's 100th value and clears the dimensions
 * with it, so the values after that would land without them.
 */
export const MAX_VALUES_PER_DOCUMENT = 99;

/** A Powertools metric unit. */
export type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** CloudWatch drops EMF data points older than 14 days or more than 2 hours ahead; margins of an hour and a minute. */
const EMF_MAX_AGE_MS = 14 * 86_400_000 - 3_600_000;
const EMF_MAX_AHEAD_MS = 2 * 3_600_000 - 60_000;

/** True when CloudWatch keeps a data point stamped `at` (epoch ms) sent at `now`. */
export function emfAccepts(at: number, now: number): boolean {
  return at >= now - EMF_MAX_AGE_MS && at <= now + EMF_MAX_AHEAD_MS;
}

/** One minute's start, epoch ms. */
export const minuteOf = (ms: number): number => Math.floor(ms / 60_000) * 60_000;

/** What {@link publishValues} publishes: metrics by name with their unit and values, under one set of dimensions. */
export interface ValuesDocument {
  dimensions: Record<string, string>;
  /** Epoch ms (default: now). */
  timestamp?: number;
  metrics: ReadonlyMap<string, { unit: Unit; values: readonly number[] }>;
}

/**
 * Publishes every value of every metric, in as few documents as {@link MAX_VALUES_PER_DOCUMENT}
 * allows (the n-th document holds the n-th 99 values of each metric). Returns the documents published.
 */
export function publishValues(metrics: Metrics, doc: ValuesDocument): number {
  const longest = Math.max(0, ...[...doc.metrics.values()].map((m) => m.values.length));
  const documents = Math.ceil(longest / MAX_VALUES_PER_DOCUMENT);
  for (let d = 0; d < documents; d++) {
    metrics.addDimensions(doc.dimensions);
    if (doc.timestamp !== undefined) metrics.setTimestamp(doc.timestamp);
    for (const [name, { unit, values }] of doc.metrics) {
      for (const v of values.slice(d * MAX_VALUES_PER_DOCUMENT, (d + 1) * MAX_VALUES_PER_DOCUMENT)) {
        metrics.addMetric(name, unit, v);
      }
    }
    metrics.publishStoredMetrics();
  }
  return documents;
}

/**
 * At most `max` (≥ 2) values that stand for `values`: all of them when there are no
 * more, else evenly spaced order statistics, the minimum and the maximum included.
 */
export function spreadSample(values: readonly number[], max: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length <= max) return sorted;
  return Array.from({ length: max }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (max - 1))] as number);
}

/** Event counts by minute (epoch ms of its start). */
export class MinuteCounts {
  private readonly counts = new Map<number, number>();

  add(atMs: number, n: number): void {
    if (n === 0) return;
    const m = minuteOf(atMs);
    this.counts.set(m, (this.counts.get(m) ?? 0) + n);
  }

  /** Adds every count of `other`. */
  merge(other: MinuteCounts): void {
    for (const [m, n] of other.counts) this.counts.set(m, (this.counts.get(m) ?? 0) + n);
  }

  /** Minutes and their counts, earliest first. */
  entries(): [number, number][] {
    return [...this.counts].sort((a, b) => a[0] - b[0]);
  }

  /**
   * One document per minute with its count as `name` (unit Count), stamped at the minute
   * plus `shiftMs`; minutes CloudWatch would drop are skipped. Then forgets them.
   */
  publish(metrics: Metrics, name: string, dimensions: Record<string, string>, shiftMs: number, now: number): void {
    for (const [minute, n] of this.entries()) {
      if (!emfAccepts(minute + shiftMs, now)) continue;
      metrics.addDimensions(dimensions);
      metrics.setTimestamp(minute + shiftMs);
      metrics.addMetric(name, MetricUnit.Count, n);
      metrics.publishStoredMetrics();
    }
    this.counts.clear();
  }
}

/** The `function_name` dimension, when the function has a name (not outside Lambda). */
export function functionDimension(functionName: string | undefined): Record<string, string> {
  return functionName ? { [FUNCTION_NAME_DIMENSION]: functionName } : {};
}

/** The names of a request-serving function's three status counters (ok, 4xx, 5xx). */
export interface StatusCounterNames {
  ok: string;
  clientError: string;
  serverError: string;
}

/**
 * Adds one request's status counters: 1 to the class its status code is in, 0 to the others
 * (each class has a data point every request, so a rate is a plain division).
 */
export function addRequestStatus(metrics: Metrics, names: StatusCounterNames, statusCode: number): void {
  metrics.addMetric(names.ok, MetricUnit.Count, statusCode < 400 ? 1 : 0);
  metrics.addMetric(names.clientError, MetricUnit.Count, statusCode >= 400 && statusCode < 500 ? 1 : 0);
  metrics.addMetric(names.serverError, MetricUnit.Count, statusCode >= 500 ? 1 : 0);
}
