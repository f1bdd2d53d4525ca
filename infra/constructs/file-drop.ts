/**
 * The S3 file drop of the sources: a secure bucket whose `incoming/` notifies an encrypted,
 * TLS-only SQS queue with a dead-letter queue; the file-drop function reads the queue with
 * partial batch responses and may read and delete only under `incoming/` and write only to
 * `processed/` and `failed/`.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DROP_PREFIXES, ERRORS_SUFFIX, FILE_DROP_QUEUE } from '#core/sources/file-drop.js';
import { pulseBucket } from '#infra/constructs/shared/pulse-bucket.js';
import { acknowledge, FILE_DROP_QUEUE_DEFAULTS, nagArn, SECURE_QUEUE, SOURCE_RESOURCES } from '#infra/defaults.js';

/** The drop bucket and the queues of its notifications. */
export interface DropStorage {
  bucket: s3.Bucket;
  /** The bucket's notifications of `incoming/`, read by the file-drop function. */
  queue: sqs.Queue;
  /** Notifications that failed every receive (their files are under `failed/`). */
  deadLetters: sqs.Queue;
}

/** Makes the drop bucket, the notification queue and its dead-letter queue in `scope` (the Sources construct). */
export function addDropStorage(scope: Construct): DropStorage {
  const bucket = pulseBucket(scope, 'DropBucket', 'drop', {
    lifecycleRules: [
      {
        id: 'incoming',
        prefix: DROP_PREFIXES.incoming,
        noncurrentVersionExpiration: Duration.days(SOURCE_RESOURCES.dropNoncurrentDays),
        abortIncompleteMultipartUploadAfter: Duration.days(SOURCE_RESOURCES.dropIncompleteUploadDays),
        expiredObjectDeleteMarker: true,
      },
      ...[DROP_PREFIXES.processed, DROP_PREFIXES.failed].map((prefix) => ({
        id: prefix.replace('/', ''),
        prefix,
        expiration: Duration.days(SOURCE_RESOURCES.dropRetentionDays),
        noncurrentVersionExpiration: Duration.days(1),
      })),
    ],
  });
  const deadLetters = new sqs.Queue(scope, 'FileDropDeadLetters', {
    ...SECURE_QUEUE,
    retentionPeriod: Duration.days(FILE_DROP_QUEUE_DEFAULTS.deadLetterRetentionDays),
  });
  acknowledge(deadLetters, 'Serverless-SQSRedrivePolicy', 'fileDropDeadLetterQueueRedrive');
  const timeoutSeconds = SOURCE_RESOURCES.fileDrop.timeoutSeconds;
  const queue = new sqs.Queue(scope, 'FileDropQueue', {
    ...SECURE_QUEUE,
    visibilityTimeout: Duration.seconds(
      FILE_DROP_QUEUE.visibilityPerTimeout * timeoutSeconds + FILE_DROP_QUEUE_DEFAULTS.maxBatchingWindowSeconds,
    ),
    retentionPeriod: Duration.days(FILE_DROP_QUEUE_DEFAULTS.retentionDays),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: FILE_DROP_QUEUE.maxReceiveCount },
  });
  return { bucket, queue, deadLetters };
}

/**
 * Wires the file-drop function `fn` to `drop`: it reads the queue, may read and delete
 * only what was dropped and write only where files move, and the bucket notifies the queue.
 */
export function wireFileDrop(fn: lambda.Function, drop: DropStorage): void {
  readDropQueue(fn, drop);
  const objects = (prefix: string) => drop.bucket.arnForObjects(`${prefix}*`);
  // Read (by version) and, after the copy, delete only what was dropped.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      // Tagging: CopyObject keeps a dropped file's tags, which needs reading them here and writing them there.
      actions: [
        's3:GetObject',
        's3:GetObjectVersion',
        's3:GetObjectTagging',
        's3:GetObjectVersionTagging',
        's3:DeleteObject',
      ],
      resources: [objects(DROP_PREFIXES.incoming)],
    }),
  );
  // Listing incoming/ only: S3 then answers NoSuchKey for a file already moved (the
  // handler's 'gone'), where without it the answer is AccessDenied and the event retries.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [drop.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${DROP_PREFIXES.incoming}*`] } },
    }),
  );
  // Write only the moved file and the errors file.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:PutObjectTagging'],
      resources: [objects(DROP_PREFIXES.processed), objects(DROP_PREFIXES.failed)],
    }),
  );
  // A corrected file dropped again removes its earlier errors file, and nothing else under failed/.
  const errorFiles = `${DROP_PREFIXES.failed}*${ERRORS_SUFFIX}`;
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [drop.bucket.arnForObjects(errorFiles)] }),
  );
  if (fn.role) acknowledge(fn.role, `AwsSolutions-IAM5[Resource::${nagArn(drop.bucket)}/${errorFiles}]`, 'dropObjects');
  for (const prefix of [DROP_PREFIXES.incoming, DROP_PREFIXES.processed, DROP_PREFIXES.failed]) {
    if (fn.role) acknowledge(fn.role, `AwsSolutions-IAM5[Resource::${nagArn(drop.bucket)}/${prefix}*]`, 'dropObjects');
  }
  drop.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, dropQueueDestination(drop), {
    prefix: DROP_PREFIXES.incoming,
  });
  // The stack-wide handler CDK adds to configure bucket notifications.
  for (const handler of Stack.of(fn).node.children.filter((c) => c.node.id.startsWith('BucketNotificationsHandler'))) {
    acknowledge(
      handler,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'bucketNotificationsRole',
    );
  }
}

/**
 * Reads the drop queue with partial batch responses, and sets the queue's maxReceiveCount
 * (at that receive the handler moves a failing file to failed/) in the environment, together.
 */
function readDropQueue(fn: lambda.Function, drop: DropStorage): void {
  const d = FILE_DROP_QUEUE_DEFAULTS;
  fn.addEventSource(
    new SqsEventSource(drop.queue, {
      batchSize: d.batchSize,
      maxBatchingWindow: Duration.seconds(d.maxBatchingWindowSeconds),
      maxConcurrency: d.maxConcurrency,
      reportBatchItemFailures: true,
    }),
  );
  for (const mapping of fn.node.children.filter((c) => c instanceof lambda.EventSourceMapping)) {
    acknowledge(mapping, 'Serverless-LambdaEventSourceMappingDestination', 'sqsMappingDestination');
  }
  fn.addEnvironment('PULSE_DROP_MAX_RECEIVES', String(FILE_DROP_QUEUE.maxReceiveCount));
}

/**
 * The drop queue as the bucket's notification destination, with S3's documented queue
 * policy: sqs:SendMessage alone, from this bucket in this account (`SqsDestination` would
 * also grant GetQueueAttributes and GetQueueUrl, and check only the bucket: a bucket ARN
 * names no account).
 */
function dropQueueDestination(drop: DropStorage): s3.IBucketNotificationDestination {
  const queue = drop.queue;
  return {
    bind: (_scope, bucket) => {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DropBucketNotifications',
          principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: {
            ArnEquals: { 'aws:SourceArn': bucket.bucketRef.bucketArn },
            StringEquals: { 'aws:SourceAccount': Stack.of(queue).account },
          },
        }),
      );
      // The queue and its policy first: S3 checks that it may send when the notification is set.
      return { arn: queue.queueArn, type: s3.BucketNotificationDestinationType.QUEUE, dependencies: [queue] };
    },
  };
}
