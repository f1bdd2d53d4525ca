/** The Pulse stack: one per stage, holding one {@link PulsePipeline} and its outputs. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { SchemaRegistry } from '#core/contract/registry.js';
import type { PulseSettings } from './config.js';
import { INGEST_PATH } from './constructs/ingest-api.js';
import { PulsePipeline } from './pulse-pipeline.js';

/** Props of {@link PulseStack}. */
export interface PulseStackProps extends StackProps {
  /** The settings (from CDK context in the app). */
  settings?: PulseSettings;
  /** The schemas the lake tables are generated from (default: schemas/). */
  registry?: SchemaRegistry;
}

/** Every resource of one Pulse stage, and the outputs operators and clients need. */
export class PulseStack extends Stack {
  readonly pipeline: PulsePipeline;

  constructor(scope: Construct, id: string, props: PulseStackProps = {}) {
    super(scope, id, props);
    // Id 'Default' keeps the pipeline out of the logical ids: they stay as they were.
    const pipeline = (this.pipeline = new PulsePipeline(this, 'Default', {
      ...props.settings,
      ...(props.registry ? { registry: props.registry } : {}),
    }));
    new CfnOutput(this, 'StreamName', { value: pipeline.events.stream.streamName });
    new CfnOutput(this, 'LakeBucketName', { value: pipeline.lake.bucket.bucketName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: pipeline.analytics.workGroup.ref });
    new CfnOutput(this, 'WindowTableName', { value: pipeline.windows.table.tableName });
    new CfnOutput(this, 'FailureBucketName', { value: pipeline.hotPath.failureBucket.bucketName });
    new CfnOutput(this, 'StreamArn', { value: pipeline.events.stream.streamArn });
    new CfnOutput(this, 'IngestApiUrl', {
      value: pipeline.sources.api.urlForPath(`/${INGEST_PATH.join('/')}`),
      description: 'POST events here, SigV4-signed (execute-api:Invoke)',
    });
    new CfnOutput(this, 'DropBucketName', { value: pipeline.sources.dropBucket.bucketName });
    new CfnOutput(this, 'FileDropQueueUrl', { value: pipeline.sources.fileDropQueue.queueUrl });
    new CfnOutput(this, 'FileDropDeadLettersUrl', {
      value: pipeline.sources.fileDropDeadLetters.queueUrl,
      description: 'Notifications of dropped files that failed every receive (the files are under failed/)',
    });
    new CfnOutput(this, 'IdempotencyTableName', { value: pipeline.sources.idempotencyTable.tableName });
    new CfnOutput(this, 'DashboardName', { value: pipeline.observability.dashboard.dashboardName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: pipeline.observability.topic.topicArn,
      description: 'Alarms notify this SNS topic: subscribe to it (or set alarmEmail)',
    });
  }
}
