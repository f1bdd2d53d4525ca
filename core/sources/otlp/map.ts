/**
 * OTLP export requests as Pulse events (the table in schemas/README.md, "OpenTelemetry"):
 * Gauge and Sum data points and Histogram and ExponentialHistogram data points become
 * MetricSamples (./map-metrics.ts), log records become LogEvents (./map-logs.ts), each
 * validated as every source's events are (core/sources/input.ts), so an accepted event is
 * never quarantined later. A data point or log record that cannot be an event is rejected,
 * counted and its reason reported; an attribute beyond the label limits is left out,
 * counted and named (./attributes.ts).
 *
 * This module holds what both signals share: the resource's facts (host, region,
 * environment, service), the {@link Mapping} that validates and counts, and the answer's
 * `partial_success`. Pure: no I/O, no clock beyond the future-skew check of event time.
 */
import type { EventBody, Histogram, MetricSample } from '#core/contract/events.js';
import { EARLIEST_EVENT_TIME_MS, type InputError, type InputEvent, validateInput } from '#core/sources/input.js';
import { WINDOWING_DEFAULTS } from '#core/windows/config.js';
import { invalidMetric } from '#core/windows/validate.js';
import { attributePairs, anyValueString, DroppedAttributes } from './attributes.js';
import type { KeyValue, PartialSuccess } from './wire.js';

/** Resource attributes that name the host, in order of preference (OpenTelemetry semantic conventions). */
export const HOST_ATTRIBUTES = ['host.name', 'service.instance.id', 'host.id'] as const;
/** Resource attributes read into `region` (the first present wins). */
export const REGION_ATTRIBUTES = ['cloud.region'] as const;
/** Resource attributes read into `environment`, in order of preference (the first present wins). */
export const ENVIRONMENT_ATTRIBUTES = ['deployment.environment.name', 'deployment.environment'] as const;
/** `region` / `environment` of a resource without those attributes. */
export const UNKNOWN = 'unknown';

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
export interface ResourceFacts {
  /** The host, or undefined when the resource names none. */
  host: string | undefined;
  region: string;
  environment: string;
  service: string | undefined;
  /** Attributes that stay labels (those read into fields above are not repeated). */
  labels: [string, string][];
}

/** The facts of a resource, from its attributes (see {@link HOST_ATTRIBUTES} and the lists after it). */
export function resourceFacts(attributes: readonly KeyValue[]): ResourceFacts {
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

/** The rejection of every data point or log record of a resource that names no host. */
export const NO_HOST = `the resource names no host: set ${HOST_ATTRIBUTES.join(', or ')} (the Collector's resourcedetection processor sets host.name)`;

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
export interface MetricTemplate {
  host: string;
  metric: string;
  unit: string;
  region: string;
  environment: string;
  /** Whether those fields pass validation (checked once per metric, not per point). */
  valid: boolean;
}

/**
 * One request's mapping: its events, its rejections by reason and the attributes it left
 * out. Each event is validated as every source's is (core/sources/input.ts).
 */
export class Mapping {
  readonly out: MappedRequest = { events: [], rejected: 0, reasons: new Map(), dropped: new DroppedAttributes() };
  /** The latest event time accepted, read once per request. */
  private readonly latestMs = Date.now() + WINDOWING_DEFAULTS.maxFutureSkewMs;

  /** Counts `n` items rejected for `reason` (none when `n` is 0). */
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
