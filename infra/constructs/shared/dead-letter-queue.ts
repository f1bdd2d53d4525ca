/** {@link deadLetterQueue}: the pipeline's one queue for work that gave up. */
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge, DEAD_LETTERS, SECURE_QUEUE } from '#infra/defaults.js';

/**
 * The dead-letter queue of the pipeline `scope` belongs to (created once, by the first
 * construct that asks, beside the pipeline's access logs bucket): failed asynchronous
 * invocations and undeliverable EventBridge events land here. Encrypted (SSE-SQS), TLS-only.
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
