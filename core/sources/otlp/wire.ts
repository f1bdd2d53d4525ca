/**
 * The OTLP/HTTP wire formats (OTLP 1.x, opentelemetry-proto v1.4.0), decoded and encoded
 * by protobufjs from the official `.proto` files (their descriptor, as protobufjs parses
 * them, is ./opentelemetry-proto.json: see schemas/README.md, "OpenTelemetry"):
 * - `application/x-protobuf`: the binary protobuf of `Export{Metrics,Logs}ServiceRequest`;
 * - `application/json`: the OTLP/JSON mapping, which is proto3's JSON mapping with field
 *   names in lowerCamelCase, 64-bit integers as strings or numbers, enums as integers, and
 *   trace and span ids in hex (not base64).
 * Answers are encoded like the request: `Export{Metrics,Logs}ServiceResponse` on 200,
 * `google.rpc.Status` on errors. Nothing here knows Pulse's events (./map-*.ts do).
 */
import protobuf from 'protobufjs/light.js';
import descriptor from './opentelemetry-proto.json' with { type: 'json' };

import type { OtlpEncoding, OtlpSignal } from '#core/sources/http-api.js';

export { OTLP_MEDIA_TYPES, type OtlpEncoding, type OtlpSignal } from '#core/sources/http-api.js';

/** A 64-bit integer as protobufjs yields it: a `Long` where the `long` package loads, else a number. */
export type Int64 = number | { toNumber(): number };

/** `opentelemetry.proto.common.v1.AnyValue`: one of its fields is set ({@link oneofOf}). */
export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] } | null;
  kvlistValue?: { values: KeyValue[] } | null;
  bytesValue?: Uint8Array;
}

/** `opentelemetry.proto.common.v1.KeyValue`. */
export interface KeyValue {
  key: string;
  value?: AnyValue | null;
}

/** `opentelemetry.proto.resource.v1.Resource`. */
export interface Resource {
  attributes: KeyValue[];
}

/** The fields every OTLP metric data point has. */
export interface DataPointBase {
  attributes: KeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  /** Bit 0: FLAG_NO_RECORDED_VALUE. */
  flags: number;
}

/** `NumberDataPoint` (Gauge and Sum). */
export interface NumberDataPoint extends DataPointBase {
  asDouble?: number;
  asInt?: Int64;
}

/** `HistogramDataPoint` (explicit buckets). */
export interface HistogramDataPoint extends DataPointBase {
  count: Int64;
  sum?: number | null;
  min?: number | null;
  max?: number | null;
  bucketCounts: Int64[];
  explicitBounds: number[];
}

/** `ExponentialHistogramDataPoint.Buckets`. */
export interface ExponentialBuckets {
  offset: number;
  bucketCounts: Int64[];
}

/** `ExponentialHistogramDataPoint`. */
export interface ExponentialHistogramDataPoint extends DataPointBase {
  count: Int64;
  sum?: number | null;
  min?: number | null;
  max?: number | null;
  scale: number;
  zeroCount: Int64;
  zeroThreshold: number;
  positive?: ExponentialBuckets | null;
  negative?: ExponentialBuckets | null;
}

/** `AggregationTemporality`: 1 delta, 2 cumulative (0 unspecified). */
export const TEMPORALITY = { unspecified: 0, delta: 1, cumulative: 2 } as const;

/** `opentelemetry.proto.metrics.v1.Metric`: one of gauge … summary is set ({@link oneofOf}). */
export interface Metric {
  name: string;
  description: string;
  unit: string;
  gauge?: { dataPoints: NumberDataPoint[] } | null;
  sum?: { dataPoints: NumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean } | null;
  histogram?: { dataPoints: HistogramDataPoint[]; aggregationTemporality: number } | null;
  exponentialHistogram?: { dataPoints: ExponentialHistogramDataPoint[]; aggregationTemporality: number } | null;
  summary?: { dataPoints: DataPointBase[] } | null;
}

/** `ExportMetricsServiceRequest`. */
export interface MetricsRequest {
  resourceMetrics: {
    resource?: Resource | null;
    scopeMetrics: { scope?: { name: string } | null; metrics: Metric[] }[];
  }[];
}

/** `opentelemetry.proto.logs.v1.LogRecord`. */
export interface LogRecord {
  timeUnixNano: Int64;
  observedTimeUnixNano: Int64;
  severityNumber: number;
  severityText: string;
  body?: AnyValue | null;
  attributes: KeyValue[];
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
}

/** `ExportLogsServiceRequest`. */
export interface LogsRequest {
  resourceLogs: {
    resource?: Resource | null;
    scopeLogs: { scope?: { name: string } | null; logRecords: LogRecord[] }[];
  }[];
}

/** The request type of each signal. */
export interface RequestOf {
  metrics: MetricsRequest;
  logs: LogsRequest;
}

/** A body that is not a valid request of its signal and encoding (the answer is 400). */
export class OtlpDecodeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OtlpDecodeError';
  }
}

// 64-bit integers as numbers, never Long objects: the same in a Lambda bundle (where the
// `long` package is not found) as here, and one allocation less per time and bucket count.
// Times in ns keep 256 ns (see nanosToMillis); counts and values stay exact up to 2^53.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
/**
 * Oneofs removed from the decoder's view (their fields stay, with their numbers and types):
 * protobufjs's generated decoder calls a oneof's setter for every field of one it reads, which
 * `delete`s the other members and turns each message into a slow dictionary object (a tenth
 * of the ingest's CPU). The wire format is the same; which member is set is read with
 * {@link oneofOf}, and a proto3 `optional` field is set when it is present, as before.
 */
function withoutOneofs(ns: protobuf.NamespaceBase): void {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) {
      for (const oneof of [...nested.oneofsArray]) {
        for (const field of [...oneof.fieldsArray]) {
          oneof.remove(field); // the field stays in the type…
          // …with explicit presence, as a oneof member has: a zero it reads is kept, not taken for "unset".
          const f = field as unknown as { _features: Record<string, unknown> };
          f._features = { ...f._features, field_presence: 'EXPLICIT' };
        }
        nested.remove(oneof);
      }
    }
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) withoutOneofs(nested);
  }
}
// google.rpc.Status, the body of OTLP/HTTP error answers (googleapis' status.proto: code = 1,
// message = 2; `details` = 3 is never sent, so it is not declared).
root
  .define('google.rpc')
  .add(
    new protobuf.Type('Status')
      .add(new protobuf.Field('code', 1, 'int32'))
      .add(new protobuf.Field('message', 2, 'string')),
  );
root.resolveAll();
withoutOneofs(root);

const PKG = 'opentelemetry.proto.collector';
const TYPES = {
  metrics: {
    request: root.lookupType(`${PKG}.metrics.v1.ExportMetricsServiceRequest`),
    response: root.lookupType(`${PKG}.metrics.v1.ExportMetricsServiceResponse`),
    rejectedField: 'rejectedDataPoints',
  },
  logs: {
    request: root.lookupType(`${PKG}.logs.v1.ExportLogsServiceRequest`),
    response: root.lookupType(`${PKG}.logs.v1.ExportLogsServiceResponse`),
    rejectedField: 'rejectedLogRecords',
  },
} as const;
const STATUS = root.lookupType('google.rpc.Status');

const HEX_ID = /^(?:[0-9a-fA-F]{2})*$/;

/** OTLP/JSON writes trace and span ids in hex where proto3 JSON would use base64: turned into bytes here. */
function hexIds(o: Record<string, unknown>, path: string): void {
  for (const field of ['traceId', 'spanId']) {
    const v = o[field];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' || !HEX_ID.test(v)) {
      throw new OtlpDecodeError(`${path}.${field} must be a hex string (OTLP/JSON encodes ids in hex)`);
    }
    o[field] = Buffer.from(v, 'hex');
  }
}

const list = (o: unknown, field: string): Record<string, unknown>[] => {
  const v = (o as Record<string, unknown> | null)?.[field];
  return Array.isArray(v) ? (v.filter((x) => typeof x === 'object' && x !== null) as Record<string, unknown>[]) : [];
};

/** Converts the hex ids of an OTLP/JSON request in place (log records; exemplars of metric points). */
function fixJsonIds(signal: OtlpSignal, request: Record<string, unknown>): void {
  if (signal === 'logs') {
    for (const rl of list(request, 'resourceLogs'))
      for (const sl of list(rl, 'scopeLogs'))
        for (const [i, r] of list(sl, 'logRecords').entries()) hexIds(r, `logRecords[${i}]`);
    return;
  }
  for (const rm of list(request, 'resourceMetrics'))
    for (const sm of list(rm, 'scopeMetrics'))
      for (const m of list(sm, 'metrics'))
        for (const kind of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'])
          for (const p of list(m[kind], 'dataPoints'))
            for (const [i, e] of list(p, 'exemplars').entries()) hexIds(e, `exemplars[${i}]`);
}

/**
 * Decodes an export request (the body already decompressed).
 * @throws OtlpDecodeError saying what is wrong, never quoting the body
 */
export function decodeExportRequest<S extends OtlpSignal>(
  signal: S,
  encoding: OtlpEncoding,
  body: Uint8Array,
): RequestOf[S] {
  const type = TYPES[signal].request;
  if (encoding === 'protobuf') {
    try {
      return type.decode(body) as unknown as RequestOf[S];
    } catch (cause) {
      // protobufjs names the offset and the wire type, not the bytes.
      throw new OtlpDecodeError(`body is not a valid ${type.name} in protobuf: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    // JSON.parse's message quotes the body: not repeated.
    throw new OtlpDecodeError(`body is not valid JSON: send an OTLP/JSON ${type.name}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OtlpDecodeError(`body must be a JSON object: an OTLP/JSON ${type.name}`);
  }
  fixJsonIds(signal, parsed as Record<string, unknown>);
  try {
    return type.fromObject(parsed as Record<string, unknown>) as unknown as RequestOf[S];
  } catch (cause) {
    // protobufjs names the field path and the type it expected ("….resourceMetrics: array expected").
    throw new OtlpDecodeError(`body is not a valid OTLP/JSON ${type.name}: ${(cause as Error).message}`, { cause });
  }
}

/** What an export answer reports as rejected (OTLP's `partial_success`). */
export interface PartialSuccess {
  /** Data points (metrics) or log records (logs) not accepted. */
  rejected: number;
  /** Why, and any warning (attributes dropped); empty when there is nothing to say. */
  errorMessage: string;
}

/**
 * Encodes the 200 answer. Without anything rejected or to say, the message is empty: zero
 * bytes in protobuf, `{}` in JSON (OTLP: `partial_success` is left unset on full success).
 */
export function encodeExportResponse(signal: OtlpSignal, encoding: OtlpEncoding, partial?: PartialSuccess): Buffer {
  const { response, rejectedField } = TYPES[signal];
  const fields =
    partial && (partial.rejected > 0 || partial.errorMessage !== '')
      ? { partialSuccess: { [rejectedField]: partial.rejected, errorMessage: partial.errorMessage } }
      : {};
  const message = response.fromObject(fields);
  if (encoding === 'protobuf') return Buffer.from(response.encode(message).finish());
  return Buffer.from(JSON.stringify(response.toObject(message, { longs: String })));
}

/** gRPC status codes of the HTTP answers (OTLP/HTTP puts a `google.rpc.Status` in error bodies). */
const GRPC_CODE: Record<number, number> = { 400: 3, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 };

/** Encodes an error answer's `google.rpc.Status` (code from the HTTP status; the message names what to do). */
export function encodeStatus(encoding: OtlpEncoding, httpStatus: number, message: string): Buffer {
  const fields = { code: GRPC_CODE[httpStatus] ?? 2, message };
  if (encoding === 'protobuf') return Buffer.from(STATUS.encode(STATUS.fromObject(fields)).finish());
  return Buffer.from(JSON.stringify(fields));
}

/** Decodes an answer (for tests and tools that read what Pulse answered). */
export function decodeExportResponse(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  body: Uint8Array,
): { partialSuccess?: { rejected: number; errorMessage: string } } {
  const { response, rejectedField } = TYPES[signal];
  const message =
    encoding === 'protobuf'
      ? response.decode(body)
      : response.fromObject(body.length === 0 ? {} : JSON.parse(Buffer.from(body).toString('utf8')));
  const o = response.toObject(message, { longs: Number }) as {
    partialSuccess?: Record<string, number | string | undefined>;
  };
  if (!o.partialSuccess) return {};
  return {
    partialSuccess: {
      rejected: Number(o.partialSuccess[rejectedField] ?? 0),
      errorMessage: String(o.partialSuccess.errorMessage ?? ''),
    },
  };
}

/** Decodes an error answer's `google.rpc.Status`. */
export function decodeStatus(encoding: OtlpEncoding, body: Uint8Array): { code: number; message: string } {
  if (encoding === 'json') return JSON.parse(Buffer.from(body).toString('utf8')) as { code: number; message: string };
  return STATUS.toObject(STATUS.decode(body), { defaults: true }) as { code: number; message: string };
}

/**
 * The field of a oneof that is set: what protobufjs's oneof getters (`value`, `data`,
 * `_sum`) answer, without their `Object.keys` of the message on every call (an array per
 * attribute value and data point: a fifth of the ingest's time went to collecting them).
 * A decoded or `fromObject` message has its set fields as own properties.
 */
export function oneofOf<K extends string>(message: object, names: readonly K[]): K | undefined {
  const o = message as Record<string, unknown>;
  for (const name of names) if (Object.hasOwn(o, name) && o[name] !== null && o[name] !== undefined) return name;
  return undefined;
}

/** The oneof of an AnyValue, most frequent first. */
export const ANY_VALUE_FIELDS = [
  'stringValue',
  'intValue',
  'doubleValue',
  'boolValue',
  'kvlistValue',
  'arrayValue',
  'bytesValue',
] as const;
/** The oneof of a NumberDataPoint. */
export const NUMBER_FIELDS = ['asDouble', 'asInt'] as const;
/** The oneof of a Metric. */
export const METRIC_DATA_FIELDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

/** A 64-bit integer as a number (exact up to 2^53; a time in ns past that is within 256 ns). */
export function int64(v: Int64 | null | undefined): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/**
 * A time in ns since the epoch as whole ms: exact from a Long; from a number (protobufjs
 * without the `long` package, as in a bundle) a nanosecond time has already been rounded to
 * 256 ns, so a microsecond is added before flooring: an exact millisecond stays itself.
 */
export function nanosToMillis(v: Int64 | null | undefined): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Math.floor(v / 1e6 + 1e-3);
  const long = v as { div?: (n: number) => { toNumber(): number } };
  return long.div ? long.div(1_000_000).toNumber() : Math.floor(v.toNumber() / 1e6 + 1e-3);
}
