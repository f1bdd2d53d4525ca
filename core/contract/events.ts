/**
 * TypeScript shapes of the events in `schemas/` (latest versions), as avsc
 * decodes them with the `timestamp-millis` logical type (occurred_at is a Date).
 */

/** The names of the event types, as the `name` of their Avro record. */
export const EVENT_TYPES = ['MetricSample', 'LogEvent'] as const;
/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Identity every event carries; exactly-once is defined on (producer_id, producer_seq). */
export interface EventIdentity {
  /** `<producer_id>:<producer_seq>`. */
  event_id: string;
  /** One producer incarnation. */
  producer_id: string;
  /** Strictly increasing per producer_id, from 1. */
  producer_seq: number;
}

/** One sample of one metric on one host (schemas/metric-sample). */
export interface MetricSample extends EventIdentity {
  occurred_at: Date;
  host: string;
  metric: string;
  value: number;
  unit: string;
  region: string;
  environment: string;
  tags: Record<string, string>;
  /** Added in v2; null for v1 data read with the v2 reader. */
  source?: string | null;
  /**
   * Added in v3: the distribution the sample summarises, whose mean is `value`; null (or
   * absent) for a plain measurement, and for v1 and v2 data read with the v3 reader.
   */
  histogram?: Histogram | null;
}

/**
 * `count` observations in explicit buckets, with OTLP's explicit-bucket semantics
 * (`pulse.events.Histogram`, MetricSample v3): `bucket_bounds` holds N finite bounds,
 * strictly ascending; `bucket_counts` holds N + 1 counts; bucket i covers
 * (bucket_bounds[i-1], bucket_bounds[i]], the first from -infinity, the last to +infinity.
 * Validated by `invalidHistogram` (core/contract/histogram.ts).
 */
export interface Histogram {
  /** Number of observations: the sum of `bucket_counts`. */
  count: number;
  /** Sum of the observations, or null when the source did not record it. */
  sum: number | null;
  /** Smallest observation, or null when not recorded. */
  min: number | null;
  /** Largest observation, or null when not recorded. */
  max: number | null;
  bucket_bounds: number[];
  bucket_counts: number[];
}

/** Log severities accepted by Pulse. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

/** One log line (schemas/log-event). */
export interface LogEvent extends EventIdentity {
  occurred_at: Date;
  host: string;
  service: string;
  level: string;
  message: string;
  region: string;
  environment: string;
  attributes: Record<string, string>;
}

/** Maps an event type name to its TypeScript shape. */
export interface EventOf {
  MetricSample: MetricSample;
  LogEvent: LogEvent;
}

/** An event without identity, as sources hand it to the producer. */
export type EventBody<T extends EventType> = Omit<EventOf[T], keyof EventIdentity>;

/** Builds the `event_id` from the identity parts. */
export function eventId(producerId: string, producerSeq: number): string {
  return `${producerId}:${producerSeq}`;
}
