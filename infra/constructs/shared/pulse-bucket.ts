/**
 * {@link pulseBucket}: how every Pulse bucket is built (SECURE_BUCKET, server access logs),
 * and the pipeline's one {@link accessLogsBucket} they log to.
 */
import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { ACCESS_LOGS, SECURE_BUCKET } from '#infra/defaults.js';

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
