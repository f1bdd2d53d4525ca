/** {@link s3FailureDestination}: an event source mapping's S3 on-failure destination, granted exactly. */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge, nagArn } from '#infra/defaults.js';

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
