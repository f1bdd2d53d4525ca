/**
 * OTLP metrics as Pulse MetricSamples (./map.ts says what is shared with logs): metric
 * names in snake_case, units in Pulse's words, Gauge and Sum data points as values, and
 * Histogram and ExponentialHistogram data points as histograms (explicit buckets) with
 * their mean as the value. Sum and histogram points carry their temporality as labels.
 *
 * Pure: no I/O, no clock beyond the future-skew check of event time.
 */
import type { Histogram } from '#core/contract/events.js';
import { histogramMean, invalidHistogram } from '#core/contract/histogram.js';
import { labelsOf } from './attributes.js';
import { explicitBuckets } from './exponential-histogram.js';
import { type MappedRequest, Mapping, NO_HOST, type ResourceFacts, resourceFacts } from './map.js';
import {
  type DataPointBase,
  type ExponentialHistogramDataPoint,
  type HistogramDataPoint,
  int64,
  type Int64,
  nanosToMillis,
  type Metric,
  type MetricsRequest,
  TEMPORALITY,
  oneofOf,
  METRIC_DATA_FIELDS,
  NUMBER_FIELDS,
} from './wire.js';

/** OTLP's FLAG_NO_RECORDED_VALUE: a data point that marks the absence of a value (for example a stale series). */
const NO_RECORDED_VALUE = 1;

const metricNames = new Map<string, string>();

/**
 * An OpenTelemetry metric name as a Pulse metric name (snake_case): camelCase boundaries
 * and every character other than a-z, 0-9 and _ become '_' ("http.server.requestDuration"
 * → "http_server_request_duration"), repeated '_' collapse, and the ends are trimmed. The
 * result is validated like any metric name (1-64 characters, starting with a letter).
 */
export function pulseMetricName(name: string): string {
  let out = metricNames.get(name);
  if (out === undefined) {
    out = name
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/^_|_$/g, '');
    if (metricNames.size < 10_000) metricNames.set(name, out);
  }
  return out;
}

/** UCUM units OpenTelemetry uses, in the words Pulse's units use; any other unit is kept as given. */
const UNITS: Readonly<Record<string, string>> = { By: 'bytes', '%': 'percent', 'Mbit/s': 'mbps', '': '1' };

/** A metric's unit for Pulse: see {@link UNITS}; a UCUM annotation alone ("{request}") is a count. */
export function pulseUnit(unit: string): string {
  return UNITS[unit] ?? (/^\{[^}]*\}$/.test(unit) ? 'count' : unit);
}

/** Labels Pulse adds to a Sum or histogram point: its temporality, and a cumulative one's start. */
function temporalityLabels(temporality: number, startTimeUnixNano: Int64): [string, string][] {
  if (temporality === TEMPORALITY.cumulative) {
    return [
      ['otel.temporality', 'cumulative'],
      ['otel.start_time', String(nanosToMillis(startTimeUnixNano))],
    ];
  }
  if (temporality === TEMPORALITY.delta) return [['otel.temporality', 'delta']];
  return [];
}

/** The number of data points of one metric. */
function pointsOf(m: Metric): number {
  const data = oneofOf(m, METRIC_DATA_FIELDS);
  return data ? ((m[data] as { dataPoints: unknown[] } | null)?.dataPoints.length ?? 0) : 0;
}

/** The number of data points of a request (the limit per request counts them before anything is mapped). */
export function countDataPoints(request: MetricsRequest): number {
  let n = 0;
  for (const rm of request.resourceMetrics)
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += pointsOf(m);
  return n;
}
/** An optional double of a data point (proto3 `optional`: set when it is the message's own property). */
function optionalDouble(p: object, name: 'sum' | 'min' | 'max'): number | null {
  const o = p as Record<string, unknown>;
  return Object.hasOwn(o, name) && typeof o[name] === 'number' ? (o[name] as number) : null;
}

function histogramOf(p: HistogramDataPoint | ExponentialHistogramDataPoint, exponential: boolean): Histogram {
  const count = int64(p.count);
  let bounds: number[];
  let counts: number[];
  if (exponential) {
    const e = p as ExponentialHistogramDataPoint;
    ({ bounds, counts } = explicitBuckets({
      scale: e.scale,
      zeroCount: int64(e.zeroCount),
      zeroThreshold: e.zeroThreshold,
      positive: { offset: e.positive?.offset ?? 0, counts: (e.positive?.bucketCounts ?? []).map(int64) },
      negative: { offset: e.negative?.offset ?? 0, counts: (e.negative?.bucketCounts ?? []).map(int64) },
    }));
  } else {
    const x = p as HistogramDataPoint;
    bounds = x.explicitBounds.slice();
    // No buckets at all: count and sum only, one bucket holds every observation.
    counts = x.bucketCounts.length === 0 ? [count] : x.bucketCounts.map(int64);
  }
  return {
    count,
    sum: optionalDouble(p, 'sum'),
    min: optionalDouble(p, 'min'),
    max: optionalDouble(p, 'max'),
    bucket_bounds: bounds,
    bucket_counts: counts,
  };
}

function mapMetric(m: Metric, facts: ResourceFacts & { host: string }, mapping: Mapping): void {
  const data = oneofOf(m, METRIC_DATA_FIELDS);
  if (!data) return;
  const base = mapping.template({
    host: facts.host,
    metric: pulseMetricName(m.name),
    unit: pulseUnit(m.unit),
    region: facts.region,
    environment: facts.environment,
  });
  const labels = (p: DataPointBase, extra: [string, string][]) =>
    labelsOf(p.attributes, facts.labels, extra, mapping.out.dropped);
  const usable = (p: DataPointBase) => {
    if ((p.flags & NO_RECORDED_VALUE) === 0) return true;
    mapping.reject('flags: the data point has no recorded value (FLAG_NO_RECORDED_VALUE)');
    return false;
  };
  if (data === 'gauge' || data === 'sum') {
    const sum = data === 'sum' ? m.sum : null;
    for (const p of (m.gauge ?? m.sum)?.dataPoints ?? []) {
      if (!usable(p)) continue;
      const kind = oneofOf(p, NUMBER_FIELDS);
      if (kind === undefined) {
        mapping.reject('value: the data point has neither as_double nor as_int');
        continue;
      }
      const extra = sum ? temporalityLabels(sum.aggregationTemporality, p.startTimeUnixNano) : [];
      const value = kind === 'asDouble' ? (p.asDouble as number) : int64(p.asInt);
      mapping.addSample(base, nanosToMillis(p.timeUnixNano), value, labels(p, extra));
    }
    return;
  }
  if (data === 'histogram' || data === 'exponentialHistogram') {
    const h = data === 'histogram' ? m.histogram : m.exponentialHistogram;
    for (const p of h?.dataPoints ?? []) {
      if (!usable(p)) continue;
      const histogram = histogramOf(p, data === 'exponentialHistogram');
      // The mean; without a recorded sum, invalidHistogram does not check it and histogramMean estimates it.
      const mean = histogram.count === 0 ? 0 : histogram.sum !== null ? histogram.sum / histogram.count : undefined;
      const why = invalidHistogram(histogram, mean ?? 0);
      if (why) {
        mapping.reject(why);
        continue;
      }
      const extra = temporalityLabels(h?.aggregationTemporality ?? 0, p.startTimeUnixNano);
      const value = mean ?? histogramMean(histogram);
      mapping.addSample(base, nanosToMillis(p.timeUnixNano), value, labels(p, extra), histogram);
    }
    return;
  }
  mapping.reject(
    'metric type: Summary data points are not supported: export histograms instead',
    m.summary?.dataPoints.length ?? 0,
  );
}

/** Maps an `ExportMetricsServiceRequest` (see the module comment). */
export function mapMetrics(request: MetricsRequest): MappedRequest {
  const mapping = new Mapping();
  for (const rm of request.resourceMetrics) {
    const facts = resourceFacts(rm.resource?.attributes ?? []);
    const { host } = facts;
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        if (host === undefined) {
          mapping.reject(NO_HOST, pointsOf(m));
        } else mapMetric(m, { ...facts, host }, mapping);
      }
    }
  }
  return mapping.out;
}
