import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
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

/** Defaults of the whole app. */
export const APP_DEFAULTS = {
  stage: 'dev',
  ...STREAM_DEFAULTS,
  ...HOT_PATH_DEFAULTS,
  ...LAKE_DEFAULTS,
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
