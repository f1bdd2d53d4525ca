/**
 * OTLP export requests as Pulse events (the table in schemas/README.md, "OpenTelemetry"):
 * Gauge and Sum data points and Histogram and ExponentialHistogram data points become
 * MetricSamples, log records become LogEvents, each validated as every source's events are
 * (core/sources/input.ts), so an accepted event is never quarantined later. A data point or
 * log record that cannot be an event is rejected, counted and its reason reported; an
 * attribute beyond the label limits is left out, counted and named (./attributes.ts).
 *
 * Pure: no I/O, no clock beyond the future-skew check of event time.
 */
import type { EventBody, Histogram, MetricSample } from '#core/contract/events.js';
import { histogramMean, invalidHistogram } from '#core/contract/histogram.js';
import { EARLIEST_EVENT_TIME_MS, type InputError, type InputEvent, validateInput } from '#core/sources/input.js';
import { WINDOWING_DEFAULTS } from '#core/windows/config.js';
import { invalidMetric } from '#core/windows/validate.js';
import { attributePairs, anyValueString, DroppedAttributes, labelsOf } from './attributes.js';
import { explicitBuckets } from './exponential-histogram.js';
import {
  type DataPointBase,
  type ExponentialHistogramDataPoint,
  type HistogramDataPoint,
  int64,
  type Int64,
  type KeyValue,
  nanosToMillis,
  type LogRecord,
  type LogsRequest,
  type Metric,
  type MetricsRequest,
  type PartialSuccess,
  TEMPORALITY,
  oneofOf,
  METRIC_DATA_FIELDS,
  NUMBER_FIELDS,
} from './wire.js';

/** Resource attributes that name the host, in order of preference (OpenTelemetry semantic conventions). */
export const HOST_ATTRIBUTES = ['host.name', 'service.instance.id', 'host.id'] as const;
/** Resource attributes read into `region` and `environment` (the first present wins). */
export const REGION_ATTRIBUTES = ['cloud.region'] as const;
export const ENVIRONMENT_ATTRIBUTES = ['deployment.environment.name', 'deployment.environment'] as const;
/** `region` / `environment` of a resource without those attributes. */
export const UNKNOWN = 'unknown';
/** `service` of a log record whose resource has no `service.name` (the OpenTelemetry SDKs' own default). */
export const UNKNOWN_SERVICE = 'unknown_service';
/** `message` of a log record without a body (a LogEvent's message is never empty). */
export const EMPTY_BODY = '(empty)';

/** OTLP's FLAG_NO_RECORDED_VALUE: a data point that marks the absence of a value (for example a stale series). */
const NO_RECORDED_VALUE = 1;

/** What a request became. */
export interface MappedRequest {
  /** The events, in the request's order: their `producer_seq` is their position, from 1. */
  events: InputEvent[];
  /** Data points (metrics) or log records (logs) rejected. */
  rejected: number;
  /** Rejections by reason (each reason names the OTLP field and what to do, never a value). */
  reasons: Map<string, number>;
  /** Attributes left out for the label limits. */
  dropped: DroppedAttributes;
}

/** What a resource says about every event it holds. */
interface ResourceFacts {
  /** The host, or undefined when the resource names none. */
  host: string | undefined;
  region: string;
  environment: string;
  service: string | undefined;
  /** Attributes that stay labels (those read into fields above are not repeated). */
  labels: [string, string][];
}

function resourceFacts(attributes: readonly KeyValue[]): ResourceFacts {
  const values = new Map<string, string>();
  for (const kv of attributes) values.set(kv.key, anyValueString(kv.value));
  const first = (keys: readonly string[]) => {
    for (const k of keys) {
      const v = values.get(k);
      if (v !== undefined && v !== '') return [k, v] as const;
    }
    return undefined;
  };
  const host = first(HOST_ATTRIBUTES);
  const region = first(REGION_ATTRIBUTES);
  const environment = first(ENVIRONMENT_ATTRIBUTES);
  const taken = new Set<string>([host?.[0], region?.[0], environment?.[0]].filter((k) => k !== undefined));
  return {
    host: host?.[1],
    region: region?.[1] ?? UNKNOWN,
    environment: environment?.[1] ?? UNKNOWN,
    service: values.get('service.name') || undefined,
    labels: attributePairs(attributes, taken),
  };
}

const NO_HOST = `the resource names no host: set ${HOST_ATTRIBUTES.join(', or ')} (the Collector's resourcedetection processor sets host.name)`;

/** Where each Pulse field comes from in OTLP, to say a rejection in the sender's terms. */
const ORIGIN: Record<string, string> = {
  occurred_at: 'time_unix_nano',
  host: 'resource host',
  metric: 'metric name',
  value: 'value',
  unit: 'metric unit',
  region: 'resource cloud.region',
  environment: 'resource deployment.environment',
  tags: 'attributes',
  attributes: 'attributes',
  service: 'resource service.name',
  level: 'severity',
  message: 'body',
};

const reasonOf = (e: InputError) => `${ORIGIN[e.field.split('.')[0] as string] ?? e.field}: ${e.reason}`;

/** The fields of a MetricSample that one metric of one resource shares. */
interface MetricTemplate {
  host: string;
  metric: string;
  unit: string;
  region: string;
  environment: string;
  /** Whether those fields pass validation (checked once per metric, not per point). */
  valid: boolean;
}

class Mapping {
  readonly out: MappedRequest = { events: [], rejected: 0, reasons: new Map(), dropped: new DroppedAttributes() };
  /** The latest event time accepted, read once per request. */
  private readonly latestMs = Date.now() + WINDOWING_DEFAULTS.maxFutureSkewMs;

  reject(reason: string, n = 1): void {
    if (n <= 0) return;
    this.out.rejected += n;
    this.out.reasons.set(reason, (this.out.reasons.get(reason) ?? 0) + n);
  }

  /** Validates an event as every source's, and keeps it or counts its rejection. */
  add(item: Record<string, unknown>, type: 'MetricSample' | 'LogEvent', histogram?: Histogram): void {
    const r = validateInput({ ...item, type }, this.out.events.length, 'otlp');
    if ('reason' in r) return this.reject(reasonOf(r));
    if (histogram) (r.body as EventBody<'MetricSample'>).histogram = histogram;
    this.out.events.push(r);
  }

  /** The shared fields of one metric, validated once as every source's would be. */
  template(fields: Omit<MetricTemplate, 'valid'>): MetricTemplate {
    const probe = validateInput({ ...fields, type: 'MetricSample', occurred_at: Date.now(), value: 0 }, 0, 'otlp');
    return { ...fields, valid: !('reason' in probe) };
  }

  /**
   * Adds one metric sample. The common case (shared fields valid, time in range, value
   * valid; labels are within the limits by construction) builds the event directly; any
   * other goes through {@link add}, which gives the exact reason: the outcome is the same.
   */
  addSample(t: MetricTemplate, ms: number, value: number, tags: Record<string, string>, histogram?: Histogram): void {
    if (t.valid && Number.isSafeInteger(ms) && ms >= EARLIEST_EVENT_TIME_MS && ms <= this.latestMs) {
      const body: EventBody<'MetricSample'> = {
        occurred_at: new Date(ms),
        host: t.host,
        metric: t.metric,
        value,
        unit: t.unit,
        region: t.region,
        environment: t.environment,
        tags,
        source: 'otlp',
      };
      if (invalidMetric(body as MetricSample) === undefined) {
        if (histogram) body.histogram = histogram;
        this.out.events.push({ type: 'MetricSample', body });
        return;
      }
    }
    const { valid: _, ...fields } = t;
    this.add({ ...fields, occurred_at: ms, value, tags }, 'MetricSample', histogram);
  }
}

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

/** The number of log records of a request. */
export function countLogRecords(request: LogsRequest): number {
  let n = 0;
  for (const rl of request.resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
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

/** Severity numbers by range (OpenTelemetry log data model): 1-8 TRACE and DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL. */
function levelOfNumber(n: number): string | undefined {
  if (n >= 1 && n <= 8) return 'DEBUG';
  if (n >= 9 && n <= 12) return 'INFO';
  if (n >= 13 && n <= 16) return 'WARN';
  if (n >= 17 && n <= 20) return 'ERROR';
  if (n >= 21 && n <= 24) return 'FATAL';
  return undefined;
}

const LEVEL_WORDS: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  information: 'INFO',
  notice: 'INFO',
  warn: 'WARN',
  warning: 'WARN',
  error: 'ERROR',
  err: 'ERROR',
  fatal: 'FATAL',
  critical: 'FATAL',
  crit: 'FATAL',
  alert: 'FATAL',
  emergency: 'FATAL',
  emerg: 'FATAL',
  panic: 'FATAL',
};

/**
 * A log record's `level`: by severity number when it has one (1-24), else by its severity
 * text (trace, debug, info, warn, error, fatal and their usual synonyms, any case), else INFO.
 */
export function levelOf(severityNumber: number, severityText: string): string {
  return levelOfNumber(severityNumber) ?? LEVEL_WORDS[severityText.trim().toLowerCase().replace(/\d+$/, '')] ?? 'INFO';
}

function mapLogRecord(r: LogRecord, facts: ResourceFacts & { host: string }, mapping: Mapping): void {
  const ms = nanosToMillis(r.timeUnixNano) || nanosToMillis(r.observedTimeUnixNano);
  const level = levelOf(r.severityNumber, r.severityText);
  const extra: [string, string][] = [];
  if (r.traceId.length > 0) extra.push(['trace_id', Buffer.from(r.traceId).toString('hex')]);
  if (r.spanId.length > 0) extra.push(['span_id', Buffer.from(r.spanId).toString('hex')]);
  if (r.severityText !== '' && r.severityText.toUpperCase() !== level)
    extra.push(['otel.severity_text', r.severityText]);
  const message = anyValueString(r.body);
  mapping.add(
    {
      occurred_at: ms === 0 ? undefined : ms,
      host: facts.host,
      service: facts.service ?? UNKNOWN_SERVICE,
      level,
      message: message === '' ? EMPTY_BODY : message,
      region: facts.region,
      environment: facts.environment,
      attributes: labelsOf(r.attributes, facts.labels, extra, mapping.out.dropped),
    },
    'LogEvent',
  );
}

/** Maps an `ExportLogsServiceRequest` (see the module comment). */
export function mapLogs(request: LogsRequest): MappedRequest {
  const mapping = new Mapping();
  for (const rl of request.resourceLogs) {
    const attributes = rl.resource?.attributes ?? [];
    const facts = resourceFacts(attributes);
    // service.name is the event's service: not repeated among its attributes.
    facts.labels = facts.labels.filter(([k]) => k !== 'service.name');
    const { host } = facts;
    for (const sl of rl.scopeLogs) {
      if (host === undefined) mapping.reject(NO_HOST, sl.logRecords.length);
      else for (const r of sl.logRecords) mapLogRecord(r, { ...facts, host }, mapping);
    }
  }
  return mapping.out;
}

/**
 * The answer's `partial_success`: how many were rejected and why (the most frequent reasons
 * first, each with its count), and which attributes were left out.
 */
export function partialSuccessOf(mapped: MappedRequest, what: 'data point' | 'log record'): PartialSuccess {
  const parts: string[] = [];
  if (mapped.rejected > 0) {
    const reasons = [...mapped.reasons].sort((a, b) => b[1] - a[1]);
    const shown = reasons.slice(0, 5).map(([reason, n]) => `${n} × ${reason}`);
    if (reasons.length > 5) shown.push(`and ${reasons.length - 5} other reason(s)`);
    parts.push(`${mapped.rejected} ${what}(s) rejected: ${shown.join('; ')}`);
  }
  const dropped = mapped.dropped.message();
  if (dropped) parts.push(dropped);
  return { rejected: mapped.rejected, errorMessage: parts.join('. ') };
}
