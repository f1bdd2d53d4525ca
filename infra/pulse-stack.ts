/** The Pulse stack: one per stage. Later issues add the dashboards and alarms. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { resourceNames } from '../core/resources.js';
import type { PulseConfig } from './config.js';
import { SchemaRegistry } from '../core/contract/registry.js';
import { Analytics } from './constructs/analytics.js';
import { EventStream } from './constructs/event-stream.js';
import { Lake } from './constructs/lake.js';
import { HotPath } from './constructs/hot-path.js';
import { INGEST_PATH, Sources } from './constructs/sources.js';
import { WindowTable } from './constructs/window-table.js';

/** Props of {@link PulseStack}. */
export interface PulseStackProps extends StackProps {
  config: PulseConfig;
  /** The schemas the lake tables are generated from (default: schemas/). */
  registry?: SchemaRegistry;
}

/** Every resource of one Pulse stage. */
export class PulseStack extends Stack {
  readonly events: EventStream;
  readonly windows: WindowTable;
  readonly hotPath: HotPath;
  readonly lake: Lake;
  readonly analytics: Analytics;
  readonly sources: Sources;

  constructor(scope: Construct, id: string, props: PulseStackProps) {
    super(scope, id, props);
    const names = resourceNames(props.config.stage);
    this.events = new EventStream(this, 'Events', {
      streamName: names.stream,
      streamMode: props.config.streamMode,
      shardCount: props.config.shardCount,
      retentionHours: props.config.retentionHours,
    });
    this.windows = new WindowTable(this, 'Windows', { tableName: names.windowTable });
    this.hotPath = new HotPath(this, 'HotPath', {
      stream: this.events.stream,
      windows: this.windows,
      settings: props.config.hotPath,
      windowing: props.config.windowing,
    });
    this.lake = new Lake(this, 'Lake', {
      stream: this.events.stream,
      registry: props.registry ?? SchemaRegistry.load(),
      databaseName: names.glueDatabase,
      settings: props.config.lake,
    });
    this.analytics = new Analytics(this, 'Analytics', {
      stage: props.config.stage,
      databaseName: names.glueDatabase,
      lakeBucket: this.lake.bucket,
      settings: props.config.lake,
    });
    this.sources = new Sources(this, 'Sources', {
      stage: props.config.stage,
      stream: this.events.stream,
      idempotencyTableName: names.idempotencyTable,
      settings: props.config.sources,
    });
    new CfnOutput(this, 'StreamName', { value: this.events.stream.streamName });
    new CfnOutput(this, 'LakeBucketName', { value: this.lake.bucket.bucketName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.analytics.workGroup.ref });
    new CfnOutput(this, 'WindowTableName', { value: this.windows.table.tableName });
    new CfnOutput(this, 'FailureBucketName', { value: this.hotPath.failureBucket.bucketName });
    new CfnOutput(this, 'StreamArn', { value: this.events.stream.streamArn });
    new CfnOutput(this, 'IngestApiUrl', {
      value: this.sources.api.urlForPath(`/${INGEST_PATH.join('/')}`),
      description: 'POST events here, SigV4-signed (execute-api:Invoke)',
    });
    new CfnOutput(this, 'DropBucketName', { value: this.sources.dropBucket.bucketName });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.sources.idempotencyTable.tableName });
  }
}
