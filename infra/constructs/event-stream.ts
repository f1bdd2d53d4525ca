/**
 * The event stream: the log of Pulse. KMS-encrypted with a customer-managed,
 * rotating key; retention long enough to rebuild projections after an outage.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledge } from '#infra/defaults.js';

/** Props of {@link EventStream}. */
export interface EventStreamProps {
  streamName: string;
  streamMode: 'on-demand' | 'provisioned';
  /** Shards when provisioned. */
  shardCount: number;
  retentionHours: number;
}

/** A KMS-encrypted Kinesis stream and its key. */
export class EventStream extends Construct {
  readonly stream: kinesis.Stream;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EventStreamProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the Pulse event stream ${props.streamName}`,
      enableKeyRotation: true,
      // Kept on delete and update, but not after a failed first create: a rolled-back
      // create must not leave a named resource behind that blocks the next deploy.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const provisioned = props.streamMode === 'provisioned';
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamName: props.streamName,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.key,
      retentionPeriod: Duration.hours(props.retentionHours),
      streamMode: provisioned ? kinesis.StreamMode.PROVISIONED : kinesis.StreamMode.ON_DEMAND,
      ...(provisioned ? { shardCount: props.shardCount } : {}),
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    acknowledge(this.stream, 'AwsSolutions-KDS3', 'streamCustomerKey');
  }
}
