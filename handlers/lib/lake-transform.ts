/**
 * Adapts the lake transform (core/lake/transform.ts) to Firehose's data-transformation
 * event, and publishes the data-loss SLO's count of lake rows (handlers/lib/emf.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { isUnitProducer } from '../../core/sources/emit.js';
import type { FirehoseInputRecord, FirehoseOutputRecord, LakeTransform } from '../../core/lake/transform.js';
import { functionDimension, MinuteCounts, SLO_EMF } from './emf.js';

/** Service name of the transform functions: their logs' `service` and their metrics' `service` dimension. */
export const LAKE_TRANSFORM_SERVICE = 'firehose-transform';

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

/** Builds the handler Firehose invokes with each buffer of records. */
export function transformHandler(
  deps: TransformDeps,
): (event: { records: FirehoseInputRecord[] }) => Promise<TransformAnswer> {
  const fn = functionDimension(deps.functionName ?? (process.env.AWS_LAMBDA_FUNCTION_NAME || undefined));
  return async (event) => {
    const rows = new MinuteCounts();
    const records = deps.transform.transform(event.records, (producerId, arrivalMs) => {
      if (isUnitProducer(producerId)) rows.add(arrivalMs, 1);
    });
    rows.publish(deps.metrics, SLO_EMF.lake, fn, SLO_EMF.shiftMs, Date.now());
    const failed = records.filter((r) => r.result === 'ProcessingFailed');
    // Counts and reasons only, never the record bytes.
    if (failed.length > 0)
      deps.logger.warn('records failed', {
        failed: failed.length,
        reasons: [...new Set(failed.map((r) => r.errorMessage))],
      });
    return { records: records.map(({ errorMessage: _reason, ...r }) => r) };
  };
}
