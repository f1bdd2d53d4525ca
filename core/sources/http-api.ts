/**
 * What the HTTP sources (the ingest API and OTLP/HTTP) and their idempotency table tell the
 * infrastructure, as data: limits, throttling, paths, media types and the table's key names.
 * infra/ reads these from here, so `cdk synth` loads none of the request-handling code (and
 * neither Powertools nor protobufjs); the source modules re-export them for their callers.
 */

/** The ingest API's limits. */
export interface IngestLimits {
  /** Largest accepted body in bytes (default 1 MiB). */
  maxBodyBytes: number;
  /** Most events per request (default 1,000). */
  maxEvents: number;
}

/** Defaults of {@link IngestLimits}. */
export const INGEST_DEFAULTS: Readonly<IngestLimits> = Object.freeze({ maxBodyBytes: 1_048_576, maxEvents: 1_000 });

/**
 * Throttling in front of the API (API Gateway stage throttling in AWS, the local
 * server's token bucket here): steady requests per second and burst.
 */
export const INGEST_THROTTLE = Object.freeze({ rateLimit: 100, burstLimit: 200 });

/** The idempotency table: Powertools' default attribute names, TTL on `expiration`. */
export const IDEMPOTENCY_TABLE = { partitionKey: 'id', ttlAttribute: 'expiration' } as const;

/** The two OTLP signals Pulse takes. */
export type OtlpSignal = 'metrics' | 'logs';

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'protobuf' | 'json';

/** The paths of the two signals, as OTLP/HTTP names them. */
export const OTLP_PATHS: Readonly<Record<OtlpSignal, string>> = Object.freeze({
  metrics: '/v1/metrics',
  logs: '/v1/logs',
});

/** The media type of each encoding, as OTLP/HTTP names it. */
export const OTLP_MEDIA_TYPES: Readonly<Record<OtlpEncoding, string>> = Object.freeze({
  protobuf: 'application/x-protobuf',
  json: 'application/json',
});
