/**
 * Observability of one Pulse stage: the alarms, which notify one KMS-encrypted, TLS-only
 * SNS topic (and an e-mail address when `alarmEmail` is set), and the CloudWatch
 * dashboard. Its parts are in ./observability/: the metrics (metrics.ts: every one carries
 * the dimension naming our resource), the alarms as a table of data (alarms.ts,
 * stage-alarms.ts: each named `pulse-<stage>-<what>`, its description starting with its
 * severity and pointing to its section of docs/runbook.md), the SLO alarms and widgets
 * (slo.ts) and the dashboard (dashboard.ts and its rows).
 */
import { Aws, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { addAlarms, alarmFactory } from '#infra/constructs/observability/alarms.js';
import { stageDashboard } from '#infra/constructs/observability/dashboard.js';
import { FAILED_BATCHES_FILTER_ID, StageMetrics } from '#infra/constructs/observability/metrics.js';
import { Slo } from '#infra/constructs/observability/slo.js';
import { stageAlarms } from '#infra/constructs/observability/stage-alarms.js';
import type { ObservabilityProps } from '#infra/constructs/observability/watched.js';
import { widgetContext } from '#infra/constructs/observability/widgets.js';
import { deadLetterQueue } from '#infra/constructs/shared/dead-letter-queue.js';

export type { ObservabilityProps } from '#infra/constructs/observability/watched.js';

/** The dashboard, the alarms and their topic. */
export class Observability extends Construct {
  /** The dashboard `pulse-<stage>-<region>`. */
  readonly dashboard: cloudwatch.Dashboard;
  /** Alarms notify it (state changes to ALARM and back to OK). */
  readonly topic: sns.Topic;
  /** Encrypts the topic; CloudWatch may use it to publish. */
  readonly topicKey: kms.Key;
  /** Every alarm, by its name without the `pulse-<stage>-` prefix. */
  readonly alarms = new Map<string, cloudwatch.Alarm>();
  /** The SLO alarms and widgets. */
  readonly slo: Slo;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { hotPath, sources } = props;
    // Request metrics (one-minute PutRequests) for the failed-batches alarm.
    hotPath.failureBucket.addMetric({ id: FAILED_BATCHES_FILTER_ID });

    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the Pulse alarm topic of stage ${props.stage}`,
      enableKeyRotation: true,
      // Only notifications in flight are encrypted with it: nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications to an encrypted topic only if the key lets it.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `pulse-${props.stage}-alarms`,
      displayName: `Pulse ${props.stage} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisStage',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:pulse-${props.stage}-*`,
          },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    if (props.settings.alarmEmail) {
      const subscription = this.topic.addSubscription(new subscriptions.EmailSubscription(props.settings.alarmEmail));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'Serverless-SNSRedrivePolicy: an e-mail that cannot be delivered is not worth a queue: the alarm state stays in CloudWatch and on the dashboard, and the topic can have other subscribers.',
      });
    }

    // The alarms are made in this construct's scope: their logical ids name it, not their module.
    const metrics = new StageMetrics(props);
    const alarm = alarmFactory(this, props.stage, this.topic, this.alarms);
    addAlarms(alarm, stageAlarms(metrics, props, deadLetterQueue(this)));
    this.slo = new Slo(this, 'Slo', {
      metrics,
      sources,
      lake: props.lake,
      flushIntervalSeconds: props.flushIntervalSeconds,
      alarm,
    });
    this.dashboard = stageDashboard(this, widgetContext(props, metrics), {
      alarms: [...this.alarms.values()],
      sloWidgets: this.slo.widgets,
    });
  }
}
