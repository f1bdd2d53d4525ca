/**
 * Adapts the window projection to Lambda's Kinesis event and partial batch
 * response, and publishes its counters as EMF metrics. The handler module wires
 * it from the environment; local mode and tests wire it with their own clients.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BatchCounters, WindowProjection } from '../../core/projections/window-projection.js';
import type { BatchResponse, LambdaKinesisEvent } from '../../core/local/event-source-mapping.js';

/** What a Kinesis batch handler needs. */
export interface KinesisBatchDeps {
  projection: WindowProjection;
  logger: Logger;
  metrics: Metrics;
  /** Called with each batch's counters (local mode's live view). */
  onBatch?: (counters: BatchCounters) => void;
}

const COUNT_METRICS: [keyof BatchCounters, string][] = [
  ['eventsIn', 'EventsIn'],
  ['windowsWritten', 'WindowsWritten'],
  ['late', 'LateEvents'],
  ['quarantined', 'QuarantinedEvents'],
  ['duplicatesSkipped', 'DuplicatesSkipped'],
  ['writeRetries', 'WriteRetries'],
  ['failedWrites', 'FailedWrites'],
];

/** Builds the Lambda handler for one projection. */
export function createKinesisBatchHandler(
  deps: KinesisBatchDeps,
): (event: LambdaKinesisEvent) => Promise<BatchResponse> {
  return async (event) => {
    const first = event.Records[0];
    if (!first) return { batchItemFailures: [] };
    const shardId = first.eventID.slice(0, first.eventID.indexOf(':'));
    const result = await deps.projection.processBatch(
      shardId,
      event.Records.map((r) => ({
        record: r,
        sequenceNumber: r.kinesis.sequenceNumber,
        arrivalMs: Math.round(r.kinesis.approximateArrivalTimestamp * 1000),
      })),
    );
    const c = result.counters;
    deps.onBatch?.(c);
    for (const [key, name] of COUNT_METRICS) deps.metrics.addMetric(name, MetricUnit.Count, c[key] as number);
    deps.metrics.addMetric('EventTimeLag', MetricUnit.Milliseconds, c.eventTimeLagMs);
    deps.metrics.publishStoredMetrics();
    // Counts and positions only: never payloads.
    deps.logger.info('batch processed', {
      shardId,
      records: c.records,
      eventsIn: c.eventsIn,
      windowsWritten: c.windowsWritten,
      late: c.late,
      quarantined: c.quarantined,
      duplicatesSkipped: c.duplicatesSkipped,
      failedSequenceNumber: result.failedSequenceNumber,
    });
    return { batchItemFailures: result.failedSequenceNumber ? [{ itemIdentifier: result.failedSequenceNumber }] : [] };
  };
}
