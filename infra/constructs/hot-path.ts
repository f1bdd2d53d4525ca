/**
 * The hot path: the Lambda function (nodejs24.x, arm64) and its Kinesis event
 * source mapping (partial batch failures, bisect, bounded retries, maximum record
 * age, an S3 on-failure destination that keeps the payload).
 *
 * Also the building blocks every Pulse construct shares: {@link pulseFunction} (own
 * role, log group with retention, X-Ray), {@link pulseBucket} (SECURE_BUCKET plus server
 * access logs to the pipeline's {@link accessLogsBucket}) and the pipeline's
 * {@link deadLetterQueue}.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  KinesisConsumerEventSource,
  KinesisEventSource,
  type KinesisEventSourceProps,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import type { WindowingConfig } from '#core/windows/config.js';
import type { PulseConfig } from '#infra/config.js';
import {
  ACCESS_LOGS,
  acknowledge,
  DEAD_LETTERS,
  LAMBDA_RUNTIME_NAME,
  LOG_RETENTION_DAYS,
  nagArn,
  type NagReason,
  SECURE_BUCKET,
  SECURE_QUEUE,
} from '#infra/defaults.js';
import type { WindowTable } from './window-table.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Props of {@link HotPath}. */
export interface HotPathProps {
  stream: kinesis.IStream;
  /** Read through this enhanced fan-out consumer instead of the shared throughput (default: shared). */
  consumer?: kinesis.IStreamConsumer;
  windows: WindowTable;
  settings: PulseConfig['hotPath'];
  windowing: WindowingConfig;
}

/**
 * How a function is invoked, which decides where its failures go: only asynchronous
 * invocations can use a dead-letter queue (cdk-nag Serverless-LambdaDLQ).
 */
export type Invocation = 'event-source-mapping' | 'sqs' | 'firehose' | 'api-gateway' | 'async';

const DLQ_REASON: Record<Invocation, NagReason> = {
  'event-source-mapping': 'dlqEventSourceMapping',
  sqs: 'dlqSqs',
  firehose: 'dlqFirehose',
  'api-gateway': 'dlqApiGateway',
  async: 'dlqAsync',
};

const RUNTIME = lambda.Runtime.NODEJS_24_X;
if (RUNTIME.name !== LAMBDA_RUNTIME_NAME) throw new Error(`runtime ${RUNTIME.name} is not ${LAMBDA_RUNTIME_NAME}`);

/**
 * Builds a Node.js function of this repo: ESM bundle, schemas copied beside it, its own
 * role (no managed policy: it may write only to its own log group, which has a
 * retention), X-Ray active tracing.
 */
export function pulseFunction(
  scope: Construct,
  id: string,
  props: { entry: string; memoryMb: number; timeoutSeconds: number; description: string; invocation: Invocation },
): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: LOG_RETENTION_DAYS as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.description.slice(0, 1000),
  });
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, id, {
    entry: `${repoRoot}${props.entry}`,
    projectRoot: repoRoot,
    depsLockFilePath: `${repoRoot}package-lock.json`,
    description: props.description,
    runtime: RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memoryMb,
    timeout: Duration.seconds(props.timeoutSeconds),
    logGroup,
    role,
    tracing: lambda.Tracing.ACTIVE,
    environment: {
      PULSE_SCHEMAS_DIR: '/var/task/schemas',
      NODE_OPTIONS: '--enable-source-maps',
    },
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: `node${LAMBDA_RUNTIME_NAME.replace(/^nodejs(\d+)\.x$/, '$1')}`,
      sourceMap: true,
      // CommonJS dependencies (avsc, protobufjs) need require() inside the ESM bundle.
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir: string, outputDir: string) => [`cp -r ${inputDir}/schemas ${outputDir}/schemas`],
      },
    },
  });
  acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', 'xrayResource');
  acknowledge(fn, 'Serverless-LambdaDLQ', DLQ_REASON[props.invocation]);
  return fn;
}

/**
 * The server access logs bucket of the pipeline `scope` belongs to: one per parent of
 * the Pulse constructs (the `PulsePipeline`), created by the first bucket that logs.
 * Encrypted (SSE-S3: the only encryption access log delivery supports), TLS-only,
 * private, versioned, expiring. Log delivery is granted by bucket policy (scoped to
 * each source bucket), not by ACL.
 */
export function accessLogsBucket(scope: Construct): s3.Bucket {
  const owner = scope.node.scope ?? scope;
  const existing = owner.node.tryFindChild('AccessLogs');
  if (existing) return (existing as Construct).node.findChild('Bucket') as s3.Bucket;
  const holder = new Construct(owner, 'AccessLogs');
  // Grant log delivery with a bucket policy (CDK's recommended behaviour, a feature flag
  // this app does not set globally): ACLs stay disabled.
  holder.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
  return new s3.Bucket(holder, 'Bucket', {
    ...SECURE_BUCKET,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [
      {
        id: 'expire',
        expiration: Duration.days(ACCESS_LOGS.expirationDays),
        noncurrentVersionExpiration: Duration.days(ACCESS_LOGS.noncurrentDays),
      },
    ],
  });
}

/**
 * A Pulse bucket: {@link SECURE_BUCKET} plus `props`, with server access logs to the
 * pipeline's {@link accessLogsBucket} under `<logPrefix>/`.
 */
export function pulseBucket(
  scope: Construct,
  id: string,
  logPrefix: string,
  props: Partial<s3.BucketProps> = {},
): s3.Bucket {
  return new s3.Bucket(scope, id, {
    ...SECURE_BUCKET,
    serverAccessLogsBucket: accessLogsBucket(scope),
    serverAccessLogsPrefix: `${logPrefix}/`,
    ...props,
  });
}

/**
 * The dead-letter queue of the pipeline `scope` belongs to (created once, like
 * {@link accessLogsBucket}): failed asynchronous invocations and undeliverable
 * EventBridge events land here. Encrypted (SSE-SQS), TLS-only.
 */
export function deadLetterQueue(scope: Construct): sqs.Queue {
  const owner = scope.node.scope ?? scope;
  const existing = owner.node.tryFindChild('DeadLetters');
  if (existing) return existing as sqs.Queue;
  const queue = new sqs.Queue(owner, 'DeadLetters', {
    ...SECURE_QUEUE,
    retentionPeriod: Duration.days(DEAD_LETTERS.retentionDays),
  });
  acknowledge(queue, 'AwsSolutions-SQS3', 'terminalDeadLetterQueue');
  acknowledge(queue, 'Serverless-SQSRedrivePolicy', 'terminalDeadLetterQueueRedrive');
  return queue;
}

/**
 * The S3 on-failure destination of an event source mapping with exactly the
 * permissions Lambda documents for it (s3:PutObject on the objects, s3:ListBucket on the
 * bucket), instead of `S3OnFailureDestination`'s read-write grant.
 */
export function s3FailureDestination(bucket: s3.IBucket): lambda.IEventSourceDlq {
  return {
    bind(_target, handler) {
      handler.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('*')] }),
      );
      handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
      if (handler.role) acknowledge(handler.role, `AwsSolutions-IAM5[Resource::${nagArn(bucket)}/*]`, 'failureObjects');
      return { destination: bucket.bucketArn };
    },
  };
}

/** The hot-path function, its mapping and its failure bucket. */
export class HotPath extends Construct {
  readonly fn: nodejs.NodejsFunction;
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
    const w = props.windowing;
    this.fn.addEnvironment('PULSE_STREAM_NAME', props.stream.streamName);
    this.fn.addEnvironment('PULSE_WINDOW_SIZES_MS', w.windowSizesMs.join(','));
    this.fn.addEnvironment('PULSE_OUT_OF_ORDERNESS_MS', String(w.outOfOrdernessMs));
    this.fn.addEnvironment('PULSE_ALLOWED_LATENESS_MS', String(w.allowedLatenessMs));
    this.fn.addEnvironment('PULSE_MAX_FUTURE_SKEW_MS', String(w.maxFutureSkewMs));
    this.fn.addEnvironment('PULSE_WINDOW_TTL_DAYS', String(w.ttlDays));
    this.fn.addEnvironment('PULSE_LOG_COUNTS_BY_HOST', String(w.logCountsByHost));
    this.fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', 'Pulse');
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
    this.fn.addEnvironment('PULSE_WINDOW_TABLE', windows.table.tableName);
    windows.grantProjectionWrite(this.fn);
  }
}
