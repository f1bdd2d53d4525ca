/**
 * Adapts the lake transform (core/lake/transform.ts) to Firehose's data-transformation
 * event, and publishes the data-loss SLO's count of lake rows (handlers/lib/emf.ts).
 */
import { LAKE_TRANSFORM_EMF } from '#core/metrics/names.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { isUnitProducer } from '#core/sources/emit.js';
import type { FirehoseInputRecord, FirehoseOutputRecord, LakeTransform } from '#core/lake/transform.js';
import { functionDimension, MinuteCounts } from './emf.js';
import { SLO_EMF } from '#core/metrics/names.js';
import { beginInvocation } from './log-context.js';

/** What the transform handler needs. */
export interface TransformDeps {
  transform: LakeTransform;
  logger: Logger;
  /** Publishes `SloLake`: the rows of the stack's sources' events, by the minute they entered the stream. */
  metrics: Metrics;
  /** Value of the `function_name` dimension. Default: `AWS_LAMBDA_FUNCTION_NAME` (unset: none). */
  functionName?: string;
}

/** Firehose's answer: one record per input record, with Firehose's fields only. */
export type TransformAnswer = { records: Omit<FirehoseOutputRecord, 'errorMessage'>[] };

/** The Firehose fields the transform handler reads. */
export interface TransformEvent {
  records: FirehoseInputRecord[];
  /** Firehose's id of this invocation: the logs' `correlation_id`. */
  invocationId?: string;
}

/** Builds the handler Firehose invokes with each buffer of records. */
export function transformHandler(
  deps: TransformDeps,
): (event: TransformEvent, context?: unknown) => Promise<TransformAnswer> {
  const fn = functionDimension(deps.functionName ?? (process.env.AWS_LAMBDA_FUNCTION_NAME || undefined));
  return async (event, context) => {
    beginInvocation(deps.logger, context, event.invocationId);
    const rows = new MinuteCounts();
    const records = deps.transform.transform(event.records, (producerId, arrivalMs) => {
      if (isUnitProducer(producerId)) rows.add(arrivalMs, 1);
    });
    rows.publish(deps.metrics, SLO_EMF.lake, fn, SLO_EMF.shiftMs, Date.now());
    const failed = records.filter((r) => r.result === 'ProcessingFailed');
    const dropped = records.filter((r) => r.result === 'Dropped').length;
    deps.metrics.addDimensions(fn);
    deps.metrics.addMetric(LAKE_TRANSFORM_EMF.ok, MetricUnit.Count, records.length - dropped - failed.length);
    deps.metrics.addMetric(LAKE_TRANSFORM_EMF.dropped, MetricUnit.Count, dropped);
    deps.metrics.addMetric(LAKE_TRANSFORM_EMF.processingFailed, MetricUnit.Count, failed.length);
    deps.metrics.publishStoredMetrics();
    // Counts and reasons only, never the record bytes.
    if (failed.length > 0)
      deps.logger.warn('records failed', {
        failed: failed.length,
        reasons: [...new Set(failed.map((r) => r.errorMessage))],
      });
    return { records: records.map(({ errorMessage: _reason, ...r }) => r) };
  };
}
