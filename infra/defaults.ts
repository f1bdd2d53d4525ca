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

/** Defaults of the whole app. */
export const APP_DEFAULTS = {
  stage: 'dev',
  ...STREAM_DEFAULTS,
} as const;

/** Node.js runtime of every Lambda (nodejs20.x is closed for creation). */
export const LAMBDA_RUNTIME_NAME = 'nodejs22.x';
