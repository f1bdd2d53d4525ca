/** The Pulse stack: one per stage. Later issues add the lake, sources, dashboards and alarms. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { resourceNames } from '../core/resources.js';
import type { PulseConfig } from './config.js';
import { EventStream } from './constructs/event-stream.js';
import { HotPath } from './constructs/hot-path.js';
import { WindowTable } from './constructs/window-table.js';

/** Props of {@link PulseStack}. */
export interface PulseStackProps extends StackProps {
  config: PulseConfig;
}

/** Every resource of one Pulse stage. */
export class PulseStack extends Stack {
  readonly events: EventStream;
  readonly windows: WindowTable;
  readonly hotPath: HotPath;

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
    new CfnOutput(this, 'StreamName', { value: this.events.stream.streamName });
    new CfnOutput(this, 'WindowTableName', { value: this.windows.table.tableName });
    new CfnOutput(this, 'FailureBucketName', { value: this.hotPath.failureBucket.bucketName });
    new CfnOutput(this, 'StreamArn', { value: this.events.stream.streamArn });
  }
}
