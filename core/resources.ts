/**
 * Names of the resources Pulse creates, shared by the CDK app and local mode so
 * the two cannot drift.
 */

/** Stage names: lower-case letters, digits and dashes, 1–20 characters. */
export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** Resource names for one stage. */
export function resourceNames(stage: string) {
  return {
    /** The Kinesis stream: the log every projection is rebuilt from. */
    stream: `pulse-${stage}-events`,
    /** The DynamoDB table of windows, checkpoints and side outputs. */
    windowTable: `pulse-${stage}-windows`,
    /** The Glue database of the lake tables. */
    glueDatabase: `pulse_${stage.replaceAll('-', '_')}`,
    /** The lake bucket in local mode (AWS names buckets itself: they are global). */
    lakeBucket: `pulse-${stage}-lake`,
    /** The Firehose delivery stream of a lake table (`metric_samples` → `pulse-<stage>-metric-samples`). */
    deliveryStream: (table: string) => `pulse-${stage}-${table.replaceAll('_', '-')}`,
    /** Powertools Idempotency records of the collector, ingest API and file drop. */
    idempotencyTable: `pulse-${stage}-idempotency`,
    /** The file-drop bucket in local mode (files go under `incoming/`). */
    dropBucket: `pulse-${stage}-drop`,
  } as const;
}
