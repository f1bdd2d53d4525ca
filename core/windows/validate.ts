/**
 * Semantic validation beyond the Avro schema: what the windows need to be
 * meaningful. Returns a reason naming the field, or undefined when valid.
 */
import { LOG_LEVELS, type LogEvent, type MetricSample } from '#core/contract/events.js';
import { invalidHistogram } from '#core/contract/histogram.js';

const NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Metric names already checked: a fleet has few, and the hot path checks every event. */
const validNames = new Set<string>();

/** Why a metric sample cannot be windowed, or undefined. */
export function invalidMetric(e: MetricSample): string | undefined {
  if (!Number.isFinite(e.value)) return 'value must be a finite number';
  // DynamoDB numbers and the exact micro-unit sum need plain decimals in this range. A
  // histogram's value (its mean) is no addend, and a sum that cancels out makes it tiny.
  if (e.histogram && Math.abs(e.value) > 1e15) return 'value must be at most 1e15 in magnitude';
  if (!e.histogram && e.value !== 0 && (Math.abs(e.value) < 1e-6 || Math.abs(e.value) > 1e15)) {
    return 'value must be 0 or between 1e-6 and 1e15 in magnitude';
  }
  if (e.host.length === 0 || e.host.length > 128) return 'host must be 1-128 characters';
  if (!validNames.has(e.metric)) {
    if (!NAME.test(e.metric)) return 'metric must be snake_case (a-z, 0-9, _), 1-64 characters';
    if (validNames.size < 10_000) validNames.add(e.metric);
  }
  if (e.host.includes('#')) return "host must not contain '#'";
  // (projected readers without the field leave it undefined; v1 and v2 data read as v3: null)
  if (e.histogram) return invalidHistogram(e.histogram, e.value);
  return undefined;
}

const LEVELS = new Set<string>(LOG_LEVELS);

/** Why a log event cannot be windowed, or undefined. */
export function invalidLog(e: LogEvent): string | undefined {
  if (!LEVELS.has(e.level)) return `level must be one of ${LOG_LEVELS.join(', ')}`;
  if (e.host.length === 0 || e.host.length > 128) return 'host must be 1-128 characters';
  if (e.service.length === 0 || e.service.length > 128) return 'service must be 1-128 characters';
  if (e.host.includes('#') || e.service.includes('#')) return "host and service must not contain '#'";
  return undefined;
}
