/**
 * OTLP logs as Pulse LogEvents (./map.ts says what is shared with metrics): the level from
 * the severity, the message from the body, the service from the resource's `service.name`,
 * and the trace and span ids among the attributes.
 *
 * Pure: no I/O, no clock beyond the future-skew check of event time.
 */
import { anyValueString, labelsOf } from './attributes.js';
import { type MappedRequest, Mapping, NO_HOST, type ResourceFacts, resourceFacts } from './map.js';
import { type LogRecord, type LogsRequest, nanosToMillis } from './wire.js';

/** `service` of a log record whose resource has no `service.name` (the OpenTelemetry SDKs' own default). */
export const UNKNOWN_SERVICE = 'unknown_service';
/** `message` of a log record without a body (a LogEvent's message is never empty). */
export const EMPTY_BODY = '(empty)';

/** The number of log records of a request. */
export function countLogRecords(request: LogsRequest): number {
  let n = 0;
  for (const rl of request.resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  return n;
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
