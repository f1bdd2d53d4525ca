/**
 * OTLP/HTTP ingest, free of API Gateway types: `POST /v1/metrics` and `POST /v1/logs`
 * with an `Export{Metrics,Logs}ServiceRequest` in protobuf or JSON, gzip-compressed or not.
 * Answers follow the OTLP/HTTP specification:
 * - 200 with an `Export{Metrics,Logs}ServiceResponse` in the request's encoding, its
 *   `partial_success` naming how many data points / log records were rejected and why,
 *   and which attributes were left out;
 * - 400 for a body that does not decode (nothing of it reaches the stream);
 * - 413 above {@link OTLP_LIMITS}: the body as sent, the body decompressed (inflating stops
 *   at the limit: a gzip bomb costs no more than the limit), and the number of data points
 *   or log records, each refused whole;
 * - 415 for another Content-Type or Content-Encoding;
 * - 503 with `Retry-After` when the stream did not take the events in time, or the same
 *   export is in progress (429 comes from the throttle in front, as for `/v1/events`).
 * Error bodies are a `google.rpc.Status` in the request's encoding.
 *
 * Identity: an export's events are the unit `otlp:<digest of the signal and the
 * decompressed body>`, `producer_seq` their position, so the same export sent again
 * yields the same identities, which the hot path's producer marks and the lake's silver
 * dedup drop. Before that, Powertools Idempotency keyed on the same digest answers a
 * repeat with the first answer and produces nothing (24 hours). No `Idempotency-Key` is
 * needed: exporters do not send one, and a retry's body is the same bytes.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { ProduceTimeoutError } from '#core/produce/errors.js';
import { produceUnit, type StreamTarget, unitProducerId } from '#core/sources/emit.js';
import {
  deadlineOf,
  type IdempotencyStore,
  idempotent,
  localClock,
  type RemainingTime,
} from '#core/sources/idempotency.js';
import { partialSuccessOf } from './map.js';
import { countLogRecords, mapLogs } from './map-logs.js';
import { countDataPoints, mapMetrics } from './map-metrics.js';
import {
  decodeExportRequest,
  encodeExportResponse,
  encodeStatus,
  OtlpDecodeError,
  type OtlpEncoding,
  OTLP_MEDIA_TYPES,
  type OtlpSignal,
} from './wire.js';

/** Limits of one OTLP request (defaults as data). */
export interface OtlpLimits {
  /**
   * Largest body as sent, bytes (default 4 MiB: base64-encoded by API Gateway, it stays
   * within Lambda's 6 MB request payload).
   */
  maxBodyBytes: number;
  /** Largest body after decompression, bytes (default 8 MiB). */
  maxDecodedBytes: number;
  /** Most data points (metrics) or log records (logs) in one request (default 10,000). */
  maxItems: number;
}

/** Defaults of {@link OtlpLimits}. */
export const OTLP_LIMITS: Readonly<OtlpLimits> = Object.freeze({
  maxBodyBytes: 4 * 1_048_576,
  maxDecodedBytes: 8 * 1_048_576,
  maxItems: 10_000,
});

export { OTLP_PATHS } from '#core/sources/http-api.js';

/** Seconds an exporter is asked to wait before retrying a 503. */
export const OTLP_RETRY_AFTER_SECONDS = 2;

/** How long a completed export is remembered by Powertools Idempotency (its repeat produces nothing). */
export const OTLP_IDEMPOTENCY_SECONDS = 86_400;

/** One OTLP request, as any HTTP front end hands it over. */
export interface OtlpRequest {
  signal: OtlpSignal;
  /** The Content-Type header (parameters allowed). */
  contentType: string | undefined;
  /** The Content-Encoding header. */
  contentEncoding: string | undefined;
  /** The body as sent. */
  body: Uint8Array;
}

/** What a request counted, for metrics and logs (never payloads). */
export interface OtlpCounts {
  /** Data points or log records put on the stream (as answered: a repeat answered from the first counts again). */
  accepted: number;
  /** Data points or log records rejected: in `partial_success`, or the whole request refused for their number. */
  rejected: number;
  /** Attributes left out of events for the label limits. */
  attributesDropped: number;
}

/** An answer: status, media type, encoded body, extra headers, and the counts. */
export interface OtlpResponse {
  statusCode: number;
  contentType: string;
  body: Buffer;
  headers: Record<string, string>;
  counts: OtlpCounts;
}

/** What the OTLP ingest needs; without `store`, no Powertools Idempotency (the body digest still dedups). */
export interface OtlpIngestDeps {
  target: StreamTarget;
  store?: IdempotencyStore;
  limits?: Partial<OtlpLimits>;
}

const MEDIA: Readonly<Record<string, OtlpEncoding>> = {
  'application/x-protobuf': 'protobuf',
  'application/json': 'json',
};

const NONE: OtlpCounts = Object.freeze({ accepted: 0, rejected: 0, attributesDropped: 0 });

/** The stored outcome of an export (Powertools keeps it as JSON). */
interface Outcome extends Record<string, unknown> {
  accepted: number;
  rejected: number;
  attributesDropped: number;
  errorMessage: string;
}

/** A decoded request waiting for its idempotent run (keyed by digest; the run reads it). */
interface Pending {
  signal: OtlpSignal;
  request: Parameters<typeof mapMetrics>[0] | Parameters<typeof mapLogs>[0];
  producerId: string;
}

/** See the module comment. */
export class OtlpIngest {
  readonly limits: OtlpLimits;
  private readonly pending = new Map<string, Pending>();
  private readonly once: ((input: { key: string }, context?: RemainingTime) => Promise<Outcome>) | undefined;

  constructor(private readonly deps: OtlpIngestDeps) {
    this.limits = { ...OTLP_LIMITS, ...deps.limits };
    this.once = deps.store
      ? idempotent(
          deps.store,
          { keyPrefix: 'otlp', keyPath: 'key', expiresAfterSeconds: OTLP_IDEMPOTENCY_SECONDS },
          async (input: { key: string }, time) => {
            const p = this.pending.get(input.key);
            if (!p) throw new Error('no pending OTLP request for this key: a bug in OtlpIngest');
            return this.accept(p, deadlineOf(time));
          },
        )
      : undefined;
  }

  /** Handles one request; never throws for anything the caller sent. Pass the Lambda context when there is one. */
  async handle(request: OtlpRequest, context?: RemainingTime): Promise<OtlpResponse> {
    const mediaType = (request.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const encoding = MEDIA[mediaType];
    if (!encoding) {
      return this.fail(
        'json',
        415,
        `Content-Type must be application/x-protobuf or application/json, got '${mediaType.slice(0, 100)}'`,
      );
    }
    const sent = request.body.byteLength;
    if (sent > this.limits.maxBodyBytes) {
      return this.fail(
        encoding,
        413,
        `body is ${sent} bytes, above the ${this.limits.maxBodyBytes}-byte limit: lower the exporter's batch size`,
      );
    }
    const coding = (request.contentEncoding ?? '').trim().toLowerCase();
    let body: Uint8Array = request.body;
    if (coding === 'gzip') {
      try {
        // maxOutputLength stops inflating there: a gzip bomb costs at most the limit.
        body = gunzipSync(request.body, { maxOutputLength: this.limits.maxDecodedBytes });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          return this.fail(
            encoding,
            413,
            `body is above the ${this.limits.maxDecodedBytes}-byte limit once decompressed: lower the exporter's batch size`,
          );
        }
        return this.fail(encoding, 400, 'body is not valid gzip (Content-Encoding: gzip)');
      }
    } else if (coding !== '' && coding !== 'identity') {
      return this.fail(encoding, 415, `Content-Encoding must be gzip or none, got '${coding.slice(0, 100)}'`);
    } else if (sent > this.limits.maxDecodedBytes) {
      return this.fail(encoding, 413, `body is above the ${this.limits.maxDecodedBytes}-byte limit`);
    }
    let decoded: Pending['request'];
    try {
      decoded = decodeExportRequest(request.signal, encoding, body);
    } catch (error) {
      if (error instanceof OtlpDecodeError) return this.fail(encoding, 400, error.message);
      throw error;
    }
    const what = request.signal === 'metrics' ? 'data points' : 'log records';
    const items =
      request.signal === 'metrics'
        ? countDataPoints(decoded as Parameters<typeof mapMetrics>[0])
        : countLogRecords(decoded as Parameters<typeof mapLogs>[0]);
    if (items > this.limits.maxItems) {
      return this.fail(
        encoding,
        413,
        `${items} ${what} is above the limit of ${this.limits.maxItems} per request: lower the exporter's batch size (the Collector's send_batch_max_size)`,
        { ...NONE, rejected: items },
      );
    }
    const digest = createHash('sha256').update(request.signal).update('\u0000').update(body).digest('hex');
    const pending: Pending = {
      signal: request.signal,
      request: decoded,
      producerId: unitProducerId('otlp', request.signal, digest),
    };
    let outcome: Outcome;
    try {
      if (!this.once) outcome = await this.accept(pending, deadlineOf(context ?? localClock()));
      else {
        const key = `${request.signal}:${digest}`;
        this.pending.set(key, pending);
        try {
          outcome = await this.once({ key }, context);
        } finally {
          this.pending.delete(key);
        }
      }
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        return this.fail(encoding, 503, 'the same export is still in progress: retry it in a few seconds', NONE, true);
      }
      if (error instanceof ProduceTimeoutError) {
        return this.fail(
          encoding,
          503,
          'the stream did not take all events in time: retry the same export (its events keep their identities, so nothing counts twice)',
          NONE,
          true,
        );
      }
      throw error;
    }
    return {
      statusCode: 200,
      contentType: OTLP_MEDIA_TYPES[encoding],
      body: encodeExportResponse(request.signal, encoding, {
        rejected: outcome.rejected,
        errorMessage: outcome.errorMessage,
      }),
      headers: {},
      counts: { accepted: outcome.accepted, rejected: outcome.rejected, attributesDropped: outcome.attributesDropped },
    };
  }

  /** Maps and produces one export. A failure to produce is thrown: an idempotent run must not remember it. */
  private async accept(p: Pending, deadline: number): Promise<Outcome> {
    const mapped =
      p.signal === 'metrics'
        ? mapMetrics(p.request as Parameters<typeof mapMetrics>[0])
        : mapLogs(p.request as Parameters<typeof mapLogs>[0]);
    if (mapped.events.length > 0) await produceUnit(this.deps.target, p.producerId, mapped.events, deadline);
    const partial = partialSuccessOf(mapped, p.signal === 'metrics' ? 'data point' : 'log record');
    return {
      accepted: mapped.events.length,
      rejected: mapped.rejected,
      attributesDropped: mapped.dropped.count,
      errorMessage: partial.errorMessage,
    };
  }

  private fail(
    encoding: OtlpEncoding,
    statusCode: number,
    message: string,
    counts: OtlpCounts = NONE,
    retry = false,
  ): OtlpResponse {
    return {
      statusCode,
      contentType: OTLP_MEDIA_TYPES[encoding],
      body: encodeStatus(encoding, statusCode, message),
      headers: retry ? { 'retry-after': String(OTLP_RETRY_AFTER_SECONDS) } : {},
      counts,
    };
  }
}
