/** The Pulse stack: one per stage. Later issues add the hot path, lake, sources and alarms. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { resourceNames } from '../core/resources.js';
import type { PulseConfig } from './config.js';
import { EventStream } from './constructs/event-stream.js';

/** Props of {@link PulseStack}. */
export interface PulseStackProps extends StackProps {
  config: PulseConfig;
}

/** Every resource of one Pulse stage. */
export class PulseStack extends Stack {
  readonly events: EventStream;

  constructor(scope: Construct, id: string, props: PulseStackProps) {
    super(scope, id, props);
    const names = resourceNames(props.config.stage);
    this.events = new EventStream(this, 'Events', {
      streamName: names.stream,
      streamMode: props.config.streamMode,
      shardCount: props.config.shardCount,
      retentionHours: props.config.retentionHours,
    });
    new CfnOutput(this, 'StreamName', { value: this.events.stream.streamName });
    new CfnOutput(this, 'StreamArn', { value: this.events.stream.streamArn });
  }
}
