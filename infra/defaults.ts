import { type CfnElement, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { COLLECTOR_DEFAULTS } from '#core/sources/collector.js';
import { FILE_DROP_QUEUE } from '#core/sources/file-drop.js';
import { INGEST_THROTTLE } from '#core/sources/http-api.js';
import { DEFAULT_FLUSH_INTERVAL_SECONDS } from '#core/projections/held-state.js';
import { InfraError } from './errors.js';
/**
 * Defaults of the Pulse CDK app, as data. Every value can be overridden by CDK
 * context (`-c key=value` or cdk.json); see infra/config.ts for validation.
 */
export const STREAM_DEFAULTS = {
  /** `on-demand` scales by itself; `provisioned` is cheaper at a steady rate. */
  streamMode: 'on-demand' as 'on-demand' | 'provisioned',
  /** Shards when provisioned. */
  shardCount: 2,
  /** 7 days: the log must outlive any outage of a projection so it can be rebuilt. */
  retentionHours: 168,
} as const;

/** Defaults of the hot path's event source mapping and function. */
export const HOT_PATH_DEFAULTS = {
  /** Records per invocation: large batches mean fewer writes per event (one per window per batch). */
  batchSize: 1_000,
  /** Seconds Lambda waits to fill a batch: trades ≤ 1 s of latency for fuller batches. */
  maxBatchingWindowSeconds: 1,
  /** Retries of the same records before they go to the failure bucket (bisection does not count). */
  retryAttempts: 10,
  /**
   * Seconds the hot path holds window state before writing it (the mapping's tumbling
   * window, 0–900; 0: every batch writes its windows, for the lowest latency); why a
   * minute: DEFAULT_FLUSH_INTERVAL_SECONDS.
   */
  flushIntervalSeconds: DEFAULT_FLUSH_INTERVAL_SECONDS,
  /** Records older than this go to the failure bucket instead of blocking the shard: 1 day. */
  maxRecordAgeSeconds: 86_400,
  /** Memory of the function, MB (CPU scales with it; decode and windowing are CPU-bound). */
  memoryMb: 1_024,
  /** Function timeout, seconds. */
  timeoutSeconds: 60,
} as const;

/** Defaults of the cold path (Firehose, lake, Athena). */
export const LAKE_DEFAULTS = {
  /** Firehose buffer size, MB: record format conversion needs at least 64. */
  bufferSizeMb: 128,
  /** Firehose buffer interval, seconds: larger means fewer, bigger Parquet files. */
  bufferIntervalSeconds: 300,
  /** Athena refuses a query that would scan more than this, GB (a cost guard). */
  bytesScannedCutoffGb: 10,
  /** When the gold workflow runs (EventBridge schedule expression, UTC). */
  workflowSchedule: 'cron(15 1 * * ? *)',
} as const;

/** Defaults of the event sources (scheduled collector, ingest API) that context can override. */
export const SOURCES_DEFAULTS = {
  /** When the collector ticks (EventBridge schedule expression, UTC): the pipelines it replaces ran every 5 minutes. */
  collectorSchedule: 'rate(5 minutes)',
  /** Servers the collector reports per tick. */
  collectorHosts: COLLECTOR_DEFAULTS.hosts,
  /** Steady requests per second the ingest API stage accepts before answering 429 (as local mode). */
  ingestRateLimit: INGEST_THROTTLE.rateLimit,
  /** Requests the ingest API stage accepts in a burst above the steady rate (as local mode). */
  ingestBurstLimit: INGEST_THROTTLE.burstLimit,
} as const;

/**
 * Defaults of the observability settings (context keys, validated in infra/config.ts; the
 * dashboard and alarms are in infra/constructs/observability.ts).
 */
export const OBSERVABILITY_DEFAULTS = {
  /** 5 minutes behind the stream: far from the 1-day maximum record age, far above a batching pause. */
  iteratorAgeAlarmSeconds: 300,
  /** Lake bucket size, GB (2^30 bytes), above which an alarm asks whether the growth is expected. */
  lakeSizeAlarmGb: 1_000,
  /** Any quarantined event is a producer bug or a schema not yet deployed: alarm on the first. */
  quarantineAlarmPerFiveMinutes: 0,
  /** Late events are normal in small numbers (a host agent replaying its buffer after an outage). */
  lateAlarmPerFiveMinutes: 100,
  /**
   * Rejected rows of dropped files in an hour: a few are a producer's typos (each file says
   * which in its errors file); over a thousand, a producer's format is wrong.
   */
  rejectedRowsAlarmPerHour: 1_000,
  /** Fleet distributions (5 custom metrics), per-host log lines, their widgets and the fleet CPU alarm. */
  fleetMetrics: true,
  /** No host gets per-host custom metrics unless listed. */
  fleetMetricHosts: [] as readonly string[],
} as const;

/** Defaults of the whole app. */
export const APP_DEFAULTS = {
  stage: 'dev',
  ...STREAM_DEFAULTS,
  ...HOT_PATH_DEFAULTS,
  ...LAKE_DEFAULTS,
  ...SOURCES_DEFAULTS,
} as const;

/**
 * Sizing and retention of the sources' resources: fixed (not context keys), kept
 * here as data beside the other defaults.
 */
export const SOURCE_RESOURCES = {
  collector: { memoryMb: 256, timeoutSeconds: 60 },
  /** API Gateway stops waiting for an integration after 29 s: a longer timeout would never be seen. */
  ingest: { memoryMb: 512, timeoutSeconds: 29 },
  /** Files can be large: the function streams them, up to Lambda's 15-minute limit. */
  fileDrop: { memoryMb: 1_024, timeoutSeconds: 900 },
  /**
   * Asynchronous invocations (schedule ticks) retried after a function error; idempotency
   * makes a repeat harmless.
   */
  asyncRetryAttempts: 2,
  /** A tick older than this is dropped instead of retried: 1 hour. */
  maxEventAgeSeconds: 3_600,
  /** Days files stay under processed/ and failed/ of the drop bucket. */
  dropRetentionDays: 30,
  /** Days a replaced or moved file's old versions stay in the drop bucket. */
  dropNoncurrentDays: 7,
  /** Days an unfinished multipart upload to the drop bucket is kept. */
  dropIncompleteUploadDays: 7,
} as const;

/** Days Lambda and API logs are kept. */
export const LOG_RETENTION_DAYS = 30;

/**
 * Node.js runtime of every Lambda: the latest Lambda offers (cdk-nag AwsSolutions-L1 and
 * Serverless-LambdaLatestVersion require the newest the CDK knows). nodejs24.x runs only
 * async handlers, which every Pulse handler is.
 */
export const LAMBDA_RUNTIME_NAME = 'nodejs24.x';

/** The server access logs bucket every other Pulse bucket logs to. */
export const ACCESS_LOGS = {
  /** Days an access log object is kept. */
  expirationDays: 90,
  /** Days a deleted or overwritten log object's old version is kept. */
  noncurrentDays: 7,
} as const;

/**
 * The dead-letter queue of the pipeline's asynchronous invocations (collector ticks) and
 * of its EventBridge rule targets.
 */
export const DEAD_LETTERS = {
  /** Days a failure record is kept: SQS's maximum, so a long weekend loses nothing. */
  retentionDays: 14,
} as const;

/**
 * The file drop's queue and its event source in AWS (the receive count, the visibility
 * timeout's ratio to the function's timeout and the batch size are in core:
 * FILE_DROP_QUEUE, shared with local mode).
 */
export const FILE_DROP_QUEUE_DEFAULTS = {
  /** Messages per invocation (FILE_DROP_QUEUE.batchSize, as local mode). */
  batchSize: FILE_DROP_QUEUE.batchSize,
  /** Seconds Lambda waits to fill a batch: none, a dropped file starts at once. */
  maxBatchingWindowSeconds: 0,
  /** Concurrent invocations at most: a drop of thousands of files cannot flood the stream. */
  maxConcurrency: 10,
  /** Days a notification waits in the queue: SQS's default, far beyond three receives' visibility timeouts. */
  retentionDays: 4,
  /** Days a dead-lettered notification is kept: SQS's maximum (counted from when S3 sent it). */
  deadLetterRetentionDays: 14,
} as const;

/** What every Pulse queue shares: encrypted (SSE-SQS, which S3 notifications can use), TLS-only. */
export const SECURE_QUEUE = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
} as const satisfies sqs.QueueProps;

/**
 * What every Pulse bucket shares: encrypted, TLS-only, no public access, versioned, kept
 * when the stack goes. Constructs add their own lifecycle rules.
 */
export const SECURE_BUCKET = {
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  versioned: true,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies s3.BucketProps;

/**
 * Every Pulse DynamoDB table: on demand, point-in-time recovery, deletion
 * protection, encrypted, kept when the stack is deleted.
 */
export const SECURE_TABLE = {
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  deletionProtection: true,
  encryption: dynamodb.TableEncryption.AWS_MANAGED,
  // Named tables: kept on delete and update, not after a failed first create (it would block the next deploy).
  removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
} as const satisfies Partial<dynamodb.TableProps>;

/**
 * Why Pulse accepts each cdk-nag finding it acknowledges (the app runs the AwsSolutions
 * and Serverless packs at synth; see infra/app.ts). Each reason starts with the rule id
 * it answers and says why the finding is accepted; the findings Pulse could fix are fixed
 * instead. Keys are used by {@link acknowledge}.
 */
export const NAG_REASONS = {
  streamCustomerKey:
    'AwsSolutions-KDS3: the stream is encrypted with a customer-managed, rotating KMS key on purpose: Pulse owns its key policy and grants producers kms:GenerateDataKey and consumers kms:Decrypt on exactly this key',
  firehoseSse:
    'AwsSolutions-KDF1: Firehose server-side encryption cannot be set on a delivery stream whose source is a Kinesis stream; the source stream is KMS-encrypted and the lake bucket encrypts every object (SSE-S3)',
  xrayResource:
    'AwsSolutions-IAM5: the only wildcard resource of this policy is for actions that support no resource-level permissions (X-Ray PutTraceSegments/PutTelemetryRecords/sampling, Step Functions log delivery); test/infra/nag.test.ts checks no other statement has one',
  failureObjects:
    "AwsSolutions-IAM5: Lambda names the objects of failed batches itself (aws/lambda/<mapping>/<shard>/...); s3:PutObject on the failure bucket's objects (no read, no delete) is what the S3 on-failure destination requires",
  lakeObjects:
    "AwsSolutions-IAM5: Firehose names the lake objects from event-time partition keys; the delivery role may write only under its own table's prefix and that table's errors/ prefix",
  dropObjects:
    "AwsSolutions-IAM5: the dropped files' keys are the producers' data; the file-drop function may read and delete only under incoming/, write only under processed/ and failed/, and delete under failed/ only errors files",
  athenaObjects:
    "AwsSolutions-IAM5: Athena reads the bronze tables' Parquet objects and writes query results with the workflow's credentials; object keys are not known in advance, so the grant is limited to the tables' prefixes and results/",
  dlqEventSourceMapping:
    'Serverless-LambdaDLQ: invoked synchronously by its Kinesis event source mapping, whose on-failure destination (the S3 failure bucket) keeps failed batches; a DLQ applies only to asynchronous invocations',
  dlqFirehose:
    "Serverless-LambdaDLQ: invoked synchronously by Firehose, which writes records the transform fails to the lake's errors/ prefix; a DLQ applies only to asynchronous invocations",
  dlqApiGateway:
    'Serverless-LambdaDLQ: invoked synchronously by API Gateway: the caller receives the error and retries with its Idempotency-Key; a DLQ applies only to asynchronous invocations',
  dlqAsync:
    "Serverless-LambdaDLQ: asynchronous failures go to the function's on-failure destination (the pipeline's dead-letter queue), which supersedes a DLQ and also records the error",
  dlqSqs:
    "Serverless-LambdaDLQ: invoked synchronously by its SQS event source mapping; the queue's redrive policy moves a message that fails 3 receives to the file drop's dead-letter queue (and the handler moves its file to failed/); a DLQ applies only to asynchronous invocations",
  sqsMappingDestination:
    "Serverless-LambdaEventSourceMappingDestination: Lambda supports no on-failure destination for an SQS event source mapping; the queue's redrive policy moves a message that fails 3 receives to the file drop's dead-letter queue, which is that destination",
  fileDropDeadLetterQueueRedrive:
    "Serverless-SQSRedrivePolicy: this queue is the file drop queue's dead-letter queue; its messages' files are already under failed/ with the reason, and an operator redrives a message to the source queue (SQS's redrive to source) after fixing the cause, so no queue behind it is needed",
  terminalDeadLetterQueue:
    'AwsSolutions-SQS3: this queue is the dead-letter queue (of asynchronous Lambda invocations and EventBridge targets, which cdk-nag does not count as DLQ users); a queue behind it would only hold the same messages',
  terminalDeadLetterQueueRedrive:
    'Serverless-SQSRedrivePolicy: this queue is the terminal dead-letter queue of the pipeline; nothing consumes it automatically, so there is nothing to redrive from it',
  apiGatewayCloudWatchRole:
    "AwsSolutions-IAM4: API Gateway's account-level CloudWatch Logs role uses the AWS-documented AmazonAPIGatewayPushToCloudWatchLogs managed policy; the stage's access and execution logs need it",
  bucketNotificationsRole:
    "AwsSolutions-IAM4: the CDK-provided custom resource that configures the drop bucket's notifications uses AWSLambdaBasicExecutionRole; CDK does not let its role be replaced",
  apiWaf:
    'AwsSolutions-APIG3: the ingest API is regional, IAM (SigV4) authenticated, body-validated and throttled per stage; unsigned requests never reach the function, so a WAF web ACL would add cost without a rule to enforce',
  apiCognito:
    'AwsSolutions-COG4: the ingest API authenticates callers with IAM (SigV4, execute-api:Invoke) by design: producers are hosts and services holding AWS credentials, not Cognito users',
} as const;

/** A key of {@link NAG_REASONS}. */
export type NagReason = keyof typeof NAG_REASONS;

/**
 * Acknowledges one cdk-nag finding on `scope` (and the constructs below it) with its
 * reason from {@link NAG_REASONS}. `id` is the rule id, with the finding in brackets for
 * rules that report several (`AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]`): cdk-nag 3
 * acknowledges each finding separately, so an acknowledgement never covers a new one.
 * @throws InfraError if the reason does not name the rule
 */
export function acknowledge(scope: IConstruct, id: string, reason: NagReason): void {
  const text = NAG_REASONS[reason];
  const rule = id.replace(/\[.*$/, '');
  if (!text.startsWith(`${rule}: `)) {
    throw new InfraError(
      `reason '${reason}' does not answer ${rule}: use a NAG_REASONS entry that starts with '${rule}: '`,
    );
  }
  Validations.of(scope).acknowledge({ id, reason: text });
}

/** How cdk-nag writes the ARN of `resource` in a finding: `<LogicalId.Arn>`. */
export function nagArn(resource: IConstruct): string {
  const element = (resource.node.defaultChild ?? resource) as CfnElement;
  return `<${Stack.of(resource).resolve(element.logicalId) as string}.Arn>`;
}
