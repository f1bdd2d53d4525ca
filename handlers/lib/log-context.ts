/**
 * What every Pulse function puts on each log line of an invocation so that on-call can
 * follow one request: the Lambda context (`function_request_id`, `cold_start`,
 * `function_name`, …; Powertools adds `xray_trace_id` from `_X_AMZN_TRACE_ID`) and the
 * event's own id as `correlation_id` (docs/runbook.md, "Finding a request in the logs").
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** The key Powertools' `setCorrelationId` writes. */
export const CORRELATION_ID_KEY = 'correlation_id';

/** True for a Lambda context (local mode and tests may pass only a clock, or nothing). */
function isLambdaContext(context: unknown): context is Context {
  return typeof (context as Partial<Context> | undefined)?.awsRequestId === 'string';
}

/**
 * Starts an invocation's log context: the Lambda context when there is one, and
 * `correlation_id` when the event has an id (else none: a warm process must not carry
 * the previous invocation's).
 */
export function beginInvocation(logger: Logger, context: unknown, correlationId: string | undefined): void {
  if (isLambdaContext(context)) logger.addContext(context);
  logger.removeKeys([CORRELATION_ID_KEY]);
  if (correlationId) logger.setCorrelationId(correlationId);
}
