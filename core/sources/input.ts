/**
 * Events as outside callers send them (HTTP ingest API, S3 file drop): plain JSON
 * objects, validated field by field into the bodies the producer takes. Every
 * rejection names the event's index, the field and the reason, and never echoes
 * the value (it may be user data).
 *
 * The rules are those of the schemas plus the hot path's semantic checks
 * (`core/windows/validate.ts`), so an accepted event is never quarantined later
 * for a reason the caller could have been told now.
 */
import {
  EVENT_TYPES,
  type EventBody,
  type EventType,
  type LogEvent,
  type MetricSample,
} from '#core/contract/events.js';
import { WINDOWING_DEFAULTS } from '#core/windows/config.js';
import { invalidLog, invalidMetric } from '#core/windows/validate.js';

/** Which Pulse source produced an event (MetricSample v2 `source`). */
export type SourceName = 'collector' | 'agent' | 'ingest-api' | 'file-drop' | 'otlp';

/** One rejected input event. */
export interface InputError {
  /** Position of the event in its batch (0-based), or line number (1-based) in a file. */
  index: number;
  /** The field at fault (`event` when the whole item is wrong). */
  field: string;
  /** What is wrong and what is expected. */
  reason: string;
}

/** A validated input event, ready for the producer. */
export type InputEvent =
  { type: 'MetricSample'; body: EventBody<'MetricSample'> } | { type: 'LogEvent'; body: EventBody<'LogEvent'> };

/** Result of validating a batch. */
export interface ValidatedBatch {
  events: (InputEvent & { index: number })[];
  errors: InputError[];
}

/**
 * Bounds of `tags` / `attributes`: with the message bound they keep every valid event
 * far below the 1 MiB Kinesis record, so producing it cannot fail for its size.
 */
const MAX_LABELS = 50;

/** The bounds of `tags` / `attributes` (entries, key and value length), for sources that map their own labels (OTLP). */
export const LABEL_LIMITS = Object.freeze({ maxEntries: MAX_LABELS, maxKeyChars: 64, maxValueChars: 256 });

/**
 * Earliest accepted event time (2000-01-01): anything before is almost surely a unit
 * mistake (seconds, not ms). The lake's partition projection starts at its year, so
 * every event ingest accepts is in a partition Athena can read.
 */
export const EARLIEST_EVENT_TIME_MS = Date.UTC(2000, 0, 1);
const MIN_TIME_MS = EARLIEST_EVENT_TIME_MS;

class FieldError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
  }
}

function str(o: Record<string, unknown>, field: string, max = 256): string {
  const v = o[field];
  if (v === undefined || v === null) throw new FieldError(field, `${field} is required`);
  if (typeof v !== 'string') throw new FieldError(field, `${field} must be a string`);
  if (v.length === 0 || v.length > max) throw new FieldError(field, `${field} must be 1-${max} characters`);
  return v;
}

function time(o: Record<string, unknown>): Date {
  const v = o.occurred_at;
  if (v === undefined || v === null) throw new FieldError('occurred_at', 'occurred_at is required');
  let ms: number;
  if (typeof v === 'number') ms = v;
  // A zone is required: without one, Date.parse reads local time, which differs by machine.
  else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(v)) ms = Date.parse(v);
  else if (typeof v === 'string' && /^\d+$/.test(v)) ms = Number(v);
  else {
    throw new FieldError(
      'occurred_at',
      'occurred_at must be an ISO-8601 date-time with a zone (2026-11-22T10:00:00Z) or epoch milliseconds',
    );
  }
  if (!Number.isSafeInteger(ms) || ms < MIN_TIME_MS) {
    throw new FieldError(
      'occurred_at',
      'occurred_at must be an ISO-8601 date-time or epoch milliseconds after 2000-01-01 (seconds are not accepted)',
    );
  }
  if (ms > Date.now() + WINDOWING_DEFAULTS.maxFutureSkewMs) {
    throw new FieldError(
      'occurred_at',
      `occurred_at is more than ${WINDOWING_DEFAULTS.maxFutureSkewMs / 60_000} minutes in the future: check the sender's clock`,
    );
  }
  return new Date(ms);
}

function labels(o: Record<string, unknown>, field: string): Record<string, string> {
  const v = o[field];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new FieldError(field, `${field} must be an object of strings`);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_LABELS) throw new FieldError(field, `${field} may have at most ${MAX_LABELS} entries`);
  const out: Record<string, string> = {};
  for (const [k, x] of entries) {
    if (k.length === 0 || k.length > LABEL_LIMITS.maxKeyChars)
      throw new FieldError(field, `${field} keys must be 1-${LABEL_LIMITS.maxKeyChars} characters`);
    if (typeof x !== 'string') throw new FieldError(`${field}.${k}`, `${field}.${k} must be a string`);
    if (x.length > LABEL_LIMITS.maxValueChars)
      throw new FieldError(`${field}.${k}`, `${field}.${k} must be at most ${LABEL_LIMITS.maxValueChars} characters`);
    out[k] = x;
  }
  return out;
}

function num(o: Record<string, unknown>, field: string): number {
  const v = o[field];
  if (v === undefined || v === null) throw new FieldError(field, `${field} is required`);
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || Number.isNaN(n)) throw new FieldError(field, `${field} must be a number`);
  return n;
}

/** The field a semantic reason names (each reason starts with it). */
const fieldOf = (reason: string) => reason.split(' ')[0] as string;

function metric(o: Record<string, unknown>, source: SourceName): EventBody<'MetricSample'> {
  const body: EventBody<'MetricSample'> = {
    occurred_at: time(o),
    host: str(o, 'host', 128),
    metric: str(o, 'metric', 64),
    value: num(o, 'value'),
    unit: str(o, 'unit', 32),
    region: str(o, 'region', 64),
    environment: str(o, 'environment', 64),
    tags: labels(o, 'tags'),
    source,
  };
  const why = invalidMetric(body as MetricSample);
  if (why) throw new FieldError(fieldOf(why), why);
  return body;
}

function log(o: Record<string, unknown>): EventBody<'LogEvent'> {
  const body: EventBody<'LogEvent'> = {
    occurred_at: time(o),
    host: str(o, 'host', 128),
    service: str(o, 'service', 128),
    level: str(o, 'level', 8),
    message: str(o, 'message', 65_536),
    region: str(o, 'region', 64),
    environment: str(o, 'environment', 64),
    attributes: labels(o, 'attributes'),
  };
  const why = invalidLog(body as LogEvent);
  if (why) throw new FieldError(fieldOf(why), why);
  return body;
}

/**
 * Validates one input event. `type` defaults to `MetricSample`.
 * @returns the event, or the error naming index, field and reason
 */
export function validateInput(item: unknown, index: number, source: SourceName): InputEvent | InputError {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { index, field: 'event', reason: 'each event must be a JSON object' };
  }
  const o = item as Record<string, unknown>;
  const type = o.type ?? 'MetricSample';
  if (!EVENT_TYPES.includes(type as EventType)) {
    return { index, field: 'type', reason: `type must be one of ${EVENT_TYPES.join(', ')}` };
  }
  try {
    return type === 'MetricSample'
      ? { type: 'MetricSample', body: metric(o, source) }
      : { type: 'LogEvent', body: log(o) };
  } catch (error) {
    if (error instanceof FieldError) return { index, field: error.field, reason: error.message };
    throw error;
  }
}

/** Validates a batch; every event gets either a place in `events` or an entry in `errors`. */
export function validateBatch(items: unknown[], source: SourceName, firstIndex = 0): ValidatedBatch {
  const out: ValidatedBatch = { events: [], errors: [] };
  items.forEach((item, i) => {
    const r = validateInput(item, firstIndex + i, source);
    if ('reason' in r) out.errors.push(r);
    else out.events.push({ ...r, index: firstIndex + i });
  });
  return out;
}
