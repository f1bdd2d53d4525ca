/**
 * Enhanced fan-out consumers of the event stream: one for the hot path (optional:
 * lower latency and throughput of its own) and named ones for external subscribers.
 * Each external consumer comes with a managed policy holding exactly what reading
 * through it needs (subscribe to its shards, describe it and the stream, decrypt with
 * the stream's key), to attach to the subscriber's role.
 */
import { CfnOutput } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { PulseConfig } from '#infra/config.js';

/** Props of {@link StreamConsumers}. */
export interface StreamConsumersProps {
  stage: string;
  stream: kinesis.IStream;
  key: kms.IKey;
  settings: PulseConfig['consumers'];
}

/** One external subscriber: its consumer and the policy its role needs. */
export interface ExternalConsumer {
  consumer: kinesis.StreamConsumer;
  policy: iam.ManagedPolicy;
}

/** See the module comment. */
export class StreamConsumers extends Construct {
  /** The hot path's consumer, when `hotPathFanOut` is set. */
  readonly hotPath: kinesis.StreamConsumer | undefined;
  /** External consumers by name. */
  readonly external = new Map<string, ExternalConsumer>();

  constructor(scope: Construct, id: string, props: StreamConsumersProps) {
    super(scope, id);
    if (props.settings.hotPathFanOut) {
      this.hotPath = new kinesis.StreamConsumer(this, 'HotPath', {
        stream: props.stream,
        streamConsumerName: `pulse-${props.stage}-hot-path`,
      });
    }
    for (const name of props.settings.external) {
      const consumer = new kinesis.StreamConsumer(this, `Consumer-${name}`, {
        stream: props.stream,
        streamConsumerName: `pulse-${props.stage}-${name}`,
      });
      const policy = new iam.ManagedPolicy(this, `Policy-${name}`, {
        description: `Read the Pulse ${props.stage} stream through enhanced fan-out consumer ${name}`,
        statements: [
          new iam.PolicyStatement({
            actions: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
            resources: [consumer.streamConsumerArn],
          }),
          new iam.PolicyStatement({
            actions: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards'],
            resources: [props.stream.streamArn],
          }),
          new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.key.keyArn] }),
        ],
      });
      this.external.set(name, { consumer, policy });
      new CfnOutput(this, `ConsumerArn-${name}`, {
        value: consumer.streamConsumerArn,
        description: `SubscribeToShard with this ARN (consumer ${name})`,
      });
      new CfnOutput(this, `ConsumerPolicyArn-${name}`, {
        value: policy.managedPolicyArn,
        description: `Attach to the role of subscriber ${name}`,
      });
    }
  }
}
