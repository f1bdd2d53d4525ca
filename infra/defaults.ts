import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { COLLECTOR_DEFAULTS } from '../core/sources/collector.js';
import { INGEST_THROTTLE } from '../core/sources/ingest.js';
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
   * Asynchronous invocations (schedule ticks, S3 notifications) retried after a function
   * error; idempotency makes a repeat harmless.
   */
  asyncRetryAttempts: 2,
  /** A tick or notification older than this is dropped instead of retried: 1 hour. */
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

/** Node.js runtime of every Lambda (nodejs20.x is closed for creation). */
export const LAMBDA_RUNTIME_NAME = 'nodejs22.x';

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
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies Partial<dynamodb.TableProps>;
