/**
 * The names of Pulse's CloudWatch metrics and log lines, as data: the functions publish
 * them (handlers/lib/) and the dashboard, alarms and SLOs read them (infra/constructs/),
 * so both sides take them from here and `cdk synth` loads no handler code.
 */
import { STANDARD_METRICS } from '#core/sources/synthetic-fleet.js';

/** Namespace of every Pulse metric. */
export const PULSE_NAMESPACE = 'Pulse';

/** Dimension naming the function (value: the Lambda function name), which tells stages in one account apart. */
export const FUNCTION_NAME_DIMENSION = 'function_name';

/**
 * The data-loss SLO's counts (docs/runbook.md, "Data loss"). Every side counts the events
 * of the stack's own sources (collector, ingest API, file drop) and buckets them by the
 * minute they entered the stream, so an event is in the same minute on every side
 * whatever each side's lag; each count is stamped {@link SLO_EMF.shiftMs} after that
 * minute, so the alarm's last hour is an hour whose events every side has long counted.
 */
export const SLO_EMF = {
  /** Events Kinesis accepted from a source function (by the minute the request was sent). */
  produced: 'SloProduced',
  /** Those events as the hot path decoded them (windowed, late, quarantined or duplicate: accounted). */
  hotPath: 'SloHotPath',
  /** Those events as lake rows from the Firehose transform. */
  lake: 'SloLake',
  /** One hour: the alarm reads the hour before last (CloudWatch takes EMF stamped up to 2 hours ahead). */
  shiftMs: 3_600_000,
} as const;

/** Dimension of the per-host metrics of the listed hosts. */
export const HOST_DIMENSION = 'host';

/** Message of the per-host log lines the dashboard's Logs Insights widgets query. */
export const FLEET_HOST_LINE = 'fleet host';

/**
 * Most hosts `fleetMetricHosts` may list: 250 custom metrics (about $75 a month), and a
 * list that fits Lambda's 4 KB of environment variables beside the others.
 */
export const MAX_FLEET_METRIC_HOSTS = 50;

/** Longest comma-separated list of hosts, characters (Lambda's environment holds 4 KB in all). */
export const MAX_FLEET_METRIC_HOSTS_CHARS = 2_000;

/** Name of the time-to-visible metric (milliseconds, many values a flush). */
export const TIME_TO_VISIBLE = 'TimeToVisible';

/** Where the dashboard and alarms find the hot path's EMF metrics (infra/constructs/observability.ts, slo.ts). */
export const HOT_PATH_EMF = {
  namespace: PULSE_NAMESPACE,
  service: 'hot-path',
  /** Dimension naming the function (value: the Lambda function name). */
  functionNameDimension: FUNCTION_NAME_DIMENSION,
  /** Dimension of the per-host fleet metrics of the listed hosts. */
  hostDimension: HOST_DIMENSION,
  /** Milliseconds from a record's arrival in the stream to the flush that made it visible (many values a flush). */
  timeToVisible: TIME_TO_VISIBLE,
} as const;

/** Service name of the transform functions: their logs' `service` and their metrics' `service` dimension. */
export const LAKE_TRANSFORM_SERVICE = 'firehose-transform';

/**
 * The transform's EMF counts of records by Firehose result, one document per invocation,
 * zeros included (dimensions `service` and `function_name`; the dashboard reads them).
 */
export const LAKE_TRANSFORM_EMF = {
  /** Records made lake rows. */
  ok: 'RecordsOk',
  /** Records of the other event type (each stream's transform keeps its own). */
  dropped: 'RecordsDropped',
  /** Records that did not decode: Firehose writes them to errors/. */
  processingFailed: 'RecordsProcessingFailed',
} as const;

/**
 * Service names of the source functions: their logs' `service` and their metrics' `service`
 * dimension, which the data-loss alarm reads (infra/constructs/slo.ts).
 */
export const SOURCE_SERVICES = {
  collector: 'collector',
  ingest: 'ingest-api',
  fileDrop: 'file-drop',
  otlp: 'otlp',
} as const;

/**
 * The collector's EMF counts, one document per invocation that collected a tick (dimensions
 * `service` and `function_name`; the dashboard reads them, infra/constructs/observability.ts).
 * A repeated delivery of a tick already collected publishes nothing.
 */
export const COLLECTOR_EMF = {
  /** Ticks collected (1 a document). */
  ticks: 'Ticks',
  /** Events the tick put on the stream. */
  eventsProduced: 'EventsProduced',
} as const;

/**
 * The ingest API's EMF counts, one document per request, zeros included (dimensions
 * `service` and `function_name`). Three counters rather than a `status` dimension: as many
 * custom metrics, and each class has a data point every request, so a rate is a plain
 * division on the dashboard.
 */
export const INGEST_EMF = {
  /** Requests answered 2xx. */
  ok: 'RequestsOk',
  /** Requests answered 4xx (the caller's fault: body, size, idempotency key). */
  clientError: 'RequestsClientError',
  /** Requests answered 5xx, or failed with an error (API Gateway answers 502). */
  serverError: 'RequestsServerError',
  /** Events of a request put on the stream (as answered: a replay of an Idempotency-Key counts its answer again). */
  eventsAccepted: 'EventsAccepted',
  /** Events of a request rejected (invalid), named in its answer. */
  eventsRejected: 'EventsRejected',
} as const;

/**
 * The OTLP ingest's EMF counts (`POST /v1/metrics`, `POST /v1/logs`), one document per
 * request, zeros included (dimensions `service` (otlp), `function_name` and `signal`
 * (metrics or logs)). The request counters have the ingest API's names; the items are
 * data points for metrics and log records for logs.
 */
export const OTLP_EMF = {
  /** Requests answered 2xx. */
  ok: INGEST_EMF.ok,
  /** Requests answered 4xx (undecodable, too large, unsupported type or encoding). */
  clientError: INGEST_EMF.clientError,
  /** Requests answered 5xx, or failed with an error. */
  serverError: INGEST_EMF.serverError,
  /** Data points or log records put on the stream. */
  itemsAccepted: 'ItemsAccepted',
  /**
   * Data points or log records rejected: each one named in `partial_success`, or all of a
   * request refused for their number (413).
   */
  itemsRejected: 'ItemsRejected',
  /** Attributes left out of events for the label limits (named in `partial_success`). */
  attributesDropped: 'AttributesDropped',
  /** The dimension naming the signal. */
  signalDimension: 'signal',
} as const;

/**
 * The file drop's EMF counts, published once per invocation (zeros included) with the
 * dimensions `service` (file-drop) and `function_name`; the dashboard and the rejected-rows
 * alarm read them (infra/constructs/observability.ts). A file counts once: a repeated
 * notification of a file already ingested adds nothing.
 */
export const FILE_DROP_EMF = {
  /** Files read to the end and moved to `processed/` (their rejected rows in the errors file). */
  processed: 'FilesProcessed',
  /** Rows put on the stream. */
  accepted: 'RowsAccepted',
  /** Rows rejected into the errors file (a file of an unsupported type or too large counts one). */
  rejected: 'RowsRejected',
  /** Files moved to `failed/` whole: unsupported, too large, too many rows, or failing every receive. */
  failed: 'FilesFailed',
} as const;

/** A CloudWatch unit name, as EMF takes it (Powertools' `MetricUnit` values). */
export type MetricUnitName = 'Percent' | 'Megabits/Second' | 'None';

/**
 * The metrics published for the fleet, with their units: the five standard metrics of the
 * fleet and the host agent, and only those, so a host that reports other metrics adds nothing.
 */
export const FLEET_METRICS: ReadonlyMap<string, MetricUnitName> = new Map(
  STANDARD_METRICS.map((m) => [
    m.metric,
    m.unit === 'percent' ? 'Percent' : m.unit === 'mbps' ? 'Megabits/Second' : 'None',
  ]),
);
