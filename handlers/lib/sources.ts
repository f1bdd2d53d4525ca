/**
 * Adapters from Lambda event shapes (EventBridge schedule, API Gateway REST
 * proxy) to the sources in `core/sources/`; the file drop's (SQS messages of S3
 * notifications) is in ./file-drop.ts. The handler modules wire them from the
 * environment; local mode and tests wire them with their own clients and call them
 * with events of the same shapes.
 */
import { COLLECTOR_EMF, INGEST_EMF } from '#core/metrics/names.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, ScheduledEvent } from 'aws-lambda';
import { type CollectorConfig, collectTick, type TickResult } from '#core/sources/collector.js';
import type { StreamTarget } from '#core/sources/emit.js';
import { deadlineOf, type IdempotencyStore, idempotent, type RemainingTime } from '#core/sources/idempotency.js';
import { IngestApi, type IngestLimits } from '#core/sources/ingest.js';
import { addRequestStatus, functionDimension, MinuteCounts } from './emf.js';
import { SLO_EMF } from '#core/metrics/names.js';
import { beginInvocation } from './log-context.js';

/** What every source may take to publish its count of events produced (the data-loss SLO). */
export interface SourceMetricsDeps {
  /** Publishes `SloProduced` (handlers/lib/emf.ts) after each invocation; none without it. */
  metrics?: Metrics;
  /** Value of the `function_name` dimension. Default: `AWS_LAMBDA_FUNCTION_NAME` (unset: none). */
  functionName?: string;
}

/**
 * The target, counting the events Kinesis accepts from it by minute, and a wrapper that
 * publishes the counts when an invocation ends, failed ones included: what Kinesis
 * accepted is on the stream all the same.
 */
export function countProduced(
  target: StreamTarget,
  deps: SourceMetricsDeps,
): { target: StreamTarget; publishing: <T>(work: () => Promise<T>) => Promise<T> } {
  const { metrics } = deps;
  if (!metrics) return { target, publishing: (work) => work() };
  const fn = functionDimension(deps.functionName ?? (process.env.AWS_LAMBDA_FUNCTION_NAME || undefined));
  const counts = new MinuteCounts();
  return {
    target: {
      ...target,
      onAccepted: (events, sentAtMs) => {
        counts.add(sentAtMs, events);
        target.onAccepted?.(events, sentAtMs);
      },
    },
    publishing: async (work) => {
      try {
        return await work();
      } finally {
        counts.publish(metrics, SLO_EMF.produced, fn, SLO_EMF.shiftMs, Date.now());
      }
    },
  };
}

/** What the scheduled collector needs. */
export interface CollectorDeps extends SourceMetricsDeps {
  target: StreamTarget;
  store: IdempotencyStore;
  config: CollectorConfig;
  logger: Logger;
}

/** The scheduled event's fields the collector reads. */
export type TickEvent = Pick<ScheduledEvent, 'time'> & Partial<ScheduledEvent>;

/** The value of the `function_name` dimension of a source's metrics. */
const sourceFunction = (deps: SourceMetricsDeps) =>
  functionDimension(deps.functionName ?? (process.env.AWS_LAMBDA_FUNCTION_NAME || undefined));

/**
 * Builds the collector handler: one tick per scheduled event, keyed on the
 * event's `time`, so a repeated delivery (or a replay of that tick) produces nothing.
 * Its log lines carry the tick's `time` as `correlation_id`.
 */
export function collectorHandler(
  deps: CollectorDeps,
): (event: TickEvent, context?: RemainingTime) => Promise<TickResult> {
  const { target, publishing } = countProduced(deps.target, deps);
  const fn = sourceFunction(deps);
  // Results of a tick collected by this call (a replay returns the stored result, another object).
  const collectedNow = new WeakSet<TickResult>();
  const tick = idempotent(deps.store, { keyPrefix: 'collector', keyPath: 'time' }, async (event: TickEvent, time) => {
    const at = new Date(event.time);
    if (Number.isNaN(at.getTime())) throw new Error('the scheduled event has no valid "time": expected ISO-8601');
    const result = await collectTick(target, deps.config, at, deadlineOf(time));
    collectedNow.add(result);
    return result;
  });
  return async (event, context) => {
    beginInvocation(deps.logger, context, typeof event.time === 'string' ? event.time : undefined);
    const result = await publishing(() => tick(event, context));
    if (deps.metrics && collectedNow.has(result)) {
      deps.metrics.addDimensions(fn);
      deps.metrics.addMetric(COLLECTOR_EMF.ticks, MetricUnit.Count, 1);
      deps.metrics.addMetric(COLLECTOR_EMF.eventsProduced, MetricUnit.Count, result.produced);
      deps.metrics.publishStoredMetrics();
    }
    deps.logger.info('tick collected', { tick: result.tick, produced: result.produced });
    return result;
  };
}

/** What the ingest API needs. */
export interface IngestDeps extends SourceMetricsDeps {
  target: StreamTarget;
  store: IdempotencyStore;
  limits?: Partial<IngestLimits>;
  logger: Logger;
}

/** Headers are case-insensitive; API Gateway passes them as sent. */
function header(headers: APIGatewayProxyEvent['headers'] | null, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === wanted) return v ?? undefined;
  return undefined;
}

/** The API Gateway fields the ingest handler reads. */
export type IngestEvent = Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'> &
  Partial<APIGatewayProxyEvent>;

/** Publishes one request's {@link INGEST_EMF} counts. */
function publishRequest(
  metrics: Metrics | undefined,
  dimensions: Record<string, string>,
  statusCode: number,
  events: { accepted: number; rejected: number },
): void {
  if (!metrics) return;
  metrics.addDimensions(dimensions);
  addRequestStatus(metrics, INGEST_EMF, statusCode);
  metrics.addMetric(INGEST_EMF.eventsAccepted, MetricUnit.Count, events.accepted);
  metrics.addMetric(INGEST_EMF.eventsRejected, MetricUnit.Count, events.rejected);
  metrics.publishStoredMetrics();
}

/**
 * Builds the ingest handler (API Gateway REST proxy integration). Its log lines carry
 * API Gateway's request id as `correlation_id`.
 */
export function ingestHandler(
  deps: IngestDeps,
): (event: IngestEvent, context?: RemainingTime) => Promise<APIGatewayProxyResult> {
  const { target, publishing } = countProduced(deps.target, deps);
  const fn = sourceFunction(deps);
  const api = new IngestApi({ ...deps, target });
  return async (event, context) => {
    beginInvocation(deps.logger, context, event.requestContext?.requestId || undefined);
    const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    const key = header(event.headers, 'Idempotency-Key');
    // IAM auth: the signed caller's principal (API Gateway puts it there after SigV4 checks).
    const caller = event.requestContext?.identity?.userArn ?? event.requestContext?.identity?.caller ?? undefined;
    let out: Awaited<ReturnType<IngestApi['handle']>>;
    try {
      out = await publishing(() =>
        api.handle(
          { body, ...(key !== undefined ? { idempotencyKey: key } : {}), ...(caller ? { caller } : {}) },
          context,
        ),
      );
    } catch (error) {
      publishRequest(deps.metrics, fn, 500, { accepted: 0, rejected: 0 });
      throw error;
    }
    // Counts and status only: events and errors may hold user data.
    const counts = 'accepted' in out.body ? { accepted: out.body.accepted, rejected: out.body.rejected } : {};
    publishRequest(deps.metrics, fn, out.statusCode, { accepted: 0, rejected: 0, ...counts });
    deps.logger.info('ingest request', { statusCode: out.statusCode, idempotent: key !== undefined, ...counts });
    return {
      statusCode: out.statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(out.body),
    };
  };
}
