/**
 * The hot path: the Lambda function (nodejs24.x, arm64) and its Kinesis event
 * source mapping (partial batch failures, bisect, bounded retries, maximum record
 * age, an S3 on-failure destination that keeps the payload).
 */
import { Duration } from 'aws-cdk-lib';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  KinesisConsumerEventSource,
  KinesisEventSource,
  type KinesisEventSourceProps,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HOT_PATH_EMF } from '#core/metrics/names.js';
import type { WindowingConfig } from '#core/windows/config.js';
import { HOT_PATH_ENV, WINDOWING_ENV } from '#core/windows/env-names.js';
import type { PulseConfig } from '#infra/config.js';
import { pulseBucket } from '#infra/constructs/shared/pulse-bucket.js';
import { pulseFunction } from '#infra/constructs/shared/pulse-function.js';
import { s3FailureDestination } from '#infra/constructs/shared/s3-failure-destination.js';
import type { WindowTable } from './window-table.js';

/** Props of {@link HotPath}. */
export interface HotPathProps {
  stream: kinesis.IStream;
  /** Read through this enhanced fan-out consumer instead of the shared throughput (default: shared). */
  consumer?: kinesis.IStreamConsumer;
  windows: WindowTable;
  settings: PulseConfig['hotPath'];
  windowing: WindowingConfig;
  /** Which fleet metrics the hot path publishes (settings of the observability section). */
  fleet: Pick<PulseConfig['observability'], 'fleetMetrics' | 'fleetMetricHosts'>;
}

/** The hot-path function, its mapping and its failure bucket. */
export class HotPath extends Construct {
  /** The hot-path function (handlers/hot-path.ts). */
  readonly fn: nodejs.NodejsFunction;
  /** Where the mapping writes the batches it gave up on, payload included. */
  readonly failureBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: HotPathProps) {
    super(scope, id);
    const s = props.settings;
    this.fn = pulseFunction(this, 'Function', {
      entry: 'handlers/hot-path.ts',
      memoryMb: s.memoryMb,
      timeoutSeconds: s.timeoutSeconds,
      description: 'Pulse hot path: Kinesis batches to event-time windows in DynamoDB',
      invocation: 'event-source-mapping',
    });
    this.setWindowing(props.windowing);
    this.setFleetMetrics(props.fleet);
    this.fn.addEnvironment(HOT_PATH_ENV.streamName, props.stream.streamName);
    // The namespace of Powertools' Metrics, as the handler's own setting and the dashboard's.
    this.fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', HOT_PATH_EMF.namespace);
    this.useWindowTable(props.windows);

    this.failureBucket = pulseBucket(this, 'FailureBucket', 'failures', {
      lifecycleRules: [
        { transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }] },
      ],
    });
    const mapping: KinesisEventSourceProps = {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: s.batchSize,
      maxBatchingWindow: Duration.seconds(s.maxBatchingWindowSeconds),
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: s.retryAttempts,
      maxRecordAge: Duration.seconds(s.maxRecordAgeSeconds),
      // Window state travels with the mapping's checkpoint and is written once per window
      // (core/projections/window-projection.ts, processHeld); 0 writes every batch.
      ...(s.flushIntervalSeconds > 0 ? { tumblingWindow: Duration.seconds(s.flushIntervalSeconds) } : {}),
      // One invocation per shard at a time: the checkpoint and warm cache assume it,
      // and aggregated records cannot be split across parallel invocations anyway.
      parallelizationFactor: 1,
      onFailure: s3FailureDestination(this.failureBucket),
    };
    // Enhanced fan-out: pushed over HTTP/2 with 2 MB/s per shard of its own, about 70 ms
    // instead of up to a second; the mapping's settings are the same.
    this.fn.addEventSource(
      props.consumer
        ? new KinesisConsumerEventSource(props.consumer, mapping)
        : new KinesisEventSource(props.stream, mapping),
    );
  }

  /** Sets the table variable and grants exactly the projection's actions, together. */
  private useWindowTable(windows: WindowTable): void {
    this.fn.addEnvironment(HOT_PATH_ENV.windowTable, windows.table.tableName);
    windows.grantProjectionWrite(this.fn);
  }

  /**
   * The windowing settings, as `windowingConfigFromEnv` reads them. `producerMarkTtlMs` is
   * not a setting of the app: Lambda runs its default.
   */
  private setWindowing(w: WindowingConfig): void {
    const env = WINDOWING_ENV;
    this.fn.addEnvironment(env.windowSizesMs, w.windowSizesMs.join(','));
    this.fn.addEnvironment(env.outOfOrdernessMs, String(w.outOfOrdernessMs));
    this.fn.addEnvironment(env.allowedLatenessMs, String(w.allowedLatenessMs));
    this.fn.addEnvironment(env.maxFutureSkewMs, String(w.maxFutureSkewMs));
    this.fn.addEnvironment(env.ttlDays, String(w.ttlDays));
    this.fn.addEnvironment(env.logCountsByHost, String(w.logCountsByHost));
  }

  /** Fleet distributions and log lines when asked; per-host custom metrics only for the listed hosts. */
  private setFleetMetrics(fleet: HotPathProps['fleet']): void {
    this.fn.addEnvironment(HOT_PATH_ENV.fleetMetrics, String(fleet.fleetMetrics));
    this.fn.addEnvironment(HOT_PATH_ENV.fleetMetricHosts, fleet.fleetMetricHosts.join(','));
  }
}
