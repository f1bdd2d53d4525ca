/**
 * The OTLP ingest (`POST /v1/metrics`, `POST /v1/logs`) behind API Gateway's REST proxy
 * integration: the event's path, headers and body to {@link OtlpIngest}, its answer back
 * in the proxy's shape (protobuf base64-encoded, as API Gateway returns binary media).
 * Local mode serves the same handler with events of the same shape (local/otlp-server.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { OTLP_EMF } from '#core/metrics/names.js';
import type { StreamTarget } from '#core/sources/emit.js';
import type { IdempotencyStore, RemainingTime } from '#core/sources/idempotency.js';
import { type OtlpCounts, OtlpIngest, type OtlpLimits, OTLP_PATHS } from '#core/sources/otlp/otlp-ingest.js';
import type { OtlpSignal } from '#core/sources/otlp/wire.js';
import { addRequestStatus, functionDimension } from './emf.js';
import { beginInvocation } from './log-context.js';
import { countProduced, type SourceMetricsDeps } from './sources.js';

/** What the OTLP handler needs. */
export interface OtlpHandlerDeps extends SourceMetricsDeps {
  target: StreamTarget;
  store?: IdempotencyStore;
  limits?: Partial<OtlpLimits>;
  logger: Logger;
}

/** The API Gateway fields the OTLP handler reads. */
export type OtlpEvent = Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded' | 'path'> &
  Partial<APIGatewayProxyEvent>;

/** Headers are case-insensitive; API Gateway passes them as sent. */
function header(headers: APIGatewayProxyEvent['headers'] | null, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name) return v ?? undefined;
  return undefined;
}

/** The signal of a request path (the stage's prefix, if any, before it). */
export function signalOf(path: string): OtlpSignal | undefined {
  if (path.endsWith(OTLP_PATHS.metrics)) return 'metrics';
  if (path.endsWith(OTLP_PATHS.logs)) return 'logs';
  return undefined;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Publishes one request's {@link OTLP_EMF} counts. */
function publishRequest(
  metrics: Metrics | undefined,
  dimensions: Record<string, string>,
  statusCode: number,
  counts: OtlpCounts,
): void {
  if (!metrics) return;
  metrics.addDimensions(dimensions);
  addRequestStatus(metrics, OTLP_EMF, statusCode);
  metrics.addMetric(OTLP_EMF.itemsAccepted, MetricUnit.Count, counts.accepted);
  metrics.addMetric(OTLP_EMF.itemsRejected, MetricUnit.Count, counts.rejected);
  metrics.addMetric(OTLP_EMF.attributesDropped, MetricUnit.Count, counts.attributesDropped);
  metrics.publishStoredMetrics();
}

/**
 * Builds the OTLP handler. Its log lines carry API Gateway's request id as `correlation_id`,
 * and counts only (bodies are user data).
 */
export function otlpHandler(
  deps: OtlpHandlerDeps,
): (event: OtlpEvent, context?: RemainingTime) => Promise<APIGatewayProxyResult> {
  const { target, publishing } = countProduced(deps.target, deps);
  const fn = functionDimension(deps.functionName ?? (process.env.AWS_LAMBDA_FUNCTION_NAME || undefined));
  const ingest = new OtlpIngest({ ...deps, target });
  return async (event, context) => {
    beginInvocation(deps.logger, context, event.requestContext?.requestId || undefined);
    const signal = signalOf(event.resource ?? event.path ?? '');
    if (!signal) {
      return { statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"error":"not found"}' };
    }
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    let contentEncoding = header(event.headers, 'content-encoding');
    // API Gateway may have inflated a gzip body already (its request decompression): then it is not gzip any more.
    if (contentEncoding?.trim().toLowerCase() === 'gzip' && !(body[0] === GZIP_MAGIC[0] && body[1] === GZIP_MAGIC[1])) {
      contentEncoding = undefined;
    }
    const dimensions = { ...fn, [OTLP_EMF.signalDimension]: signal };
    let out: Awaited<ReturnType<OtlpIngest['handle']>>;
    try {
      out = await publishing(() =>
        ingest.handle({ signal, contentType: header(event.headers, 'content-type'), contentEncoding, body }, context),
      );
    } catch (error) {
      publishRequest(deps.metrics, dimensions, 500, { accepted: 0, rejected: 0, attributesDropped: 0 });
      throw error;
    }
    publishRequest(deps.metrics, dimensions, out.statusCode, out.counts);
    deps.logger.info('otlp request', { signal, statusCode: out.statusCode, ...out.counts });
    const binary = out.contentType !== 'application/json';
    return {
      statusCode: out.statusCode,
      headers: { 'content-type': out.contentType, ...out.headers },
      body: out.body.toString(binary ? 'base64' : 'utf8'),
      isBase64Encoded: binary,
    };
  };
}
