/**
 * Observability of one Pulse stage: the CloudWatch dashboard `pulse-<stage>` and
 * the alarms, which notify one KMS-encrypted, TLS-only SNS topic (and an e-mail
 * address when `alarmEmail` is set). Every metric carries the dimension naming our
 * resource (function, table, stream, delivery stream, bucket): a metric without it
 * never has data. Every alarm is named `pulse-<stage>-<what>` and its description
 * points to its section of docs/runbook.md.
 *
 * Each alarm's description starts with its severity ({@link ALARM_SEVERITIES}, by runbook
 * section); the SLO alarms and widgets are in ./slo.ts.
 *
 * Decisions (docs/runbook.md explains them to operators):
 * - Fleet views whose cost does not grow with the fleet (handlers/lib/fleet-metrics.ts):
 *   the five standard metrics as distributions across hosts (no host dimension: 5
 *   custom metrics), drawn as p50, p95 and max; the top 10 hosts and one host's series
 *   from the hot path's `fleet host` log lines (Logs Insights, host picked with a
 *   dashboard variable). Per-host custom metrics only for the hosts `fleetMetricHosts`
 *   lists (at most 50), drawn with SEARCH: no other host has such a series.
 * - Fleet CPU alarm: on the p95 across hosts above 80 % for two 5-minute periods, a
 *   standard alarm on one metric whatever the fleet's size. The listed hosts also get
 *   a Metrics Insights alarm grouped by host (each listed host a contributor).
 * - Failed batches: S3 request metrics on the on-failure bucket (`PutRequests`,
 *   one-minute data) rather than the daily `NumberOfObjects` storage metric, which
 *   lags up to two days; the daily count is on the dashboard as the backlog.
 * - Lake size: the sum of the storage classes the lifecycle moves objects through;
 *   `StandardStorage` alone would drop everything older than 30 days.
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { EVENT_TYPES } from '#core/contract/events.js';
import { LAKE_TABLES } from '#core/lake/columns.js';
import { FILE_DROP_QUEUE } from '#core/sources/file-drop.js';
import { FUNCTION_NAME_DIMENSION, PULSE_NAMESPACE } from '#core/metrics/names.js';
import { FILE_DROP_EMF } from '#core/metrics/names.js';
import { FLEET_HOST_LINE, FLEET_METRICS } from '#core/metrics/names.js';
import { HOT_PATH_EMF } from '#core/metrics/names.js';
import { LAKE_TRANSFORM_EMF, LAKE_TRANSFORM_SERVICE } from '#core/metrics/names.js';
import { COLLECTOR_EMF, INGEST_EMF, SOURCE_SERVICES } from '#core/metrics/names.js';
import type { PulseConfig } from '#infra/config.js';
import type { Analytics } from './analytics.js';
import type { EventStream } from './event-stream.js';
import { deadLetterQueue } from '#infra/constructs/shared/dead-letter-queue.js';
import type { HotPath } from './hot-path.js';
import type { Lake } from './lake.js';
import { Slo, SLO_WIDGET_TITLES } from './slo.js';
import type { Sources } from './sources.js';
import type { WindowTable } from './window-table.js';

/** Thresholds that are not settings, as data. */
export const ALARM_THRESHOLDS = {
  /** Errors per invocation, percent, over 5 minutes. */
  errorRatePercent: 5,
  /** Read and write throttle events of the window table and its index, per 5 minutes. */
  tableThrottlesPerFiveMinutes: 10,
  /** Firehose data freshness, seconds; at least the buffer interval plus {@link FRESHNESS_MARGIN_SECONDS}. */
  lakeFreshnessSeconds: 900,
  /** CPU, percent: the fleet's p95 across hosts (and a listed host's average), over each of two consecutive 5-minute periods. */
  fleetCpuPercent: 80,
  /** Share of a function's timeout its p99 duration may reach. */
  durationOfTimeout: 0.8,
} as const;

/** The transform's 60 s buffer, Parquet conversion and the S3 write on top of the buffer interval. */
const FRESHNESS_MARGIN_SECONDS = 300;
/** The S3 request-metrics filter on the on-failure bucket (the whole bucket). */
export const FAILED_BATCHES_FILTER_ID = 'failed-batches';
/** Storage classes the lake's lifecycle moves objects through (BucketSizeBytes `StorageType`). */
const LAKE_STORAGE_TYPES = [
  'StandardStorage',
  'IntelligentTieringFAStorage',
  'IntelligentTieringIAStorage',
  'IntelligentTieringAIAStorage',
  'GlacierInstantRetrievalStorage',
] as const;
const GB = 2 ** 30;
const FIVE_MINUTES = Duration.minutes(5);
const ONE_HOUR = Duration.hours(1);
const ONE_DAY = Duration.days(1);

/** The runbook file alarm descriptions point to (sections are the alarms' anchors). */
export const RUNBOOK = 'docs/runbook.md';

/** Titles of the dashboard's widgets, in order (with the default settings; see also {@link LISTED_HOSTS_TITLES}). */
export const WIDGET_TITLES = {
  ...SLO_WIDGET_TITLES,
  fleetCpu: 'Fleet CPU across hosts, % (p50, p95, max)',
  fleetMemory: 'Fleet memory across hosts, % (p50, p95, max)',
  fleetDisk: 'Fleet disk across hosts, % (p50, p95, max; 24 hours)',
  fleetNetwork: 'Fleet network in / out across hosts, Mb/s (p95, max)',
  fleetTopHosts: 'Top 10 hosts by CPU (fleet host log lines)',
  fleetHost: 'One host: set the Host variable (fleet host log lines)',
  hotPathInvocations: 'Hot path invocations, errors and error rate',
  iteratorAge: 'Iterator age (hot path and stream), ms',
  events: 'Events in / out',
  sideOutputs: 'Late, quarantined, duplicates skipped',
  windowTable: 'Window table throttles and write retries',
  duration: 'Duration p99, % of timeout',
  sources: 'Source functions invocations and errors',
  ingestApi: 'Ingest API requests',
  fileDropFiles: 'File drop: files and rows',
  fileDropQueue: 'File drop queue: messages waiting, oldest, dead letters',
  collectorCounts: 'Collector: ticks and events produced',
  ingestCounts: 'Ingest API: requests by class, events accepted and rejected',
  transformRecords: 'Lake transform: records ok, dropped, failed',
  lakeFreshness: 'Lake freshness (Firehose DeliveryToS3.DataFreshness), s',
  lakeDelivery: 'Lake delivery, conversion and transform failures',
  failedBatches: 'Failed batches (on-failure bucket)',
  lakeSize: 'Lake size, GB (daily)',
} as const;

/** Titles of the widgets of the hosts `fleetMetricHosts` lists (only with a list). */
export const LISTED_HOSTS_TITLES = {
  cpu: 'Listed hosts CPU, % (fleetMetricHosts)',
  memory: 'Listed hosts memory, % (fleetMetricHosts)',
} as const;

/**
 * Severity of each alarm, by its runbook section (docs/runbook.md, "Severities"):
 * P0 data is being lost (page now), P1 an SLO or a promise of the pipeline is breached
 * (page), P2 degraded without data at risk (within a working day), P3 capacity or the
 * fleet itself (within the week).
 */
export const ALARM_SEVERITIES = {
  'failed-batches': 'P0',
  'data-loss': 'P0',
  'hot-path-error-rate': 'P1',
  'hot-path-iterator-age': 'P1',
  'stream-iterator-age': 'P1',
  'lake-freshness': 'P1',
  'time-to-visible': 'P1',
  'ingest-availability': 'P1',
  'ingest-latency': 'P2',
  'source-error-rate': 'P2',
  'function-duration': 'P2',
  'window-table-throttles': 'P2',
  'lake-failures': 'P2',
  'dead-letters': 'P2',
  'file-drop-dead-letters': 'P2',
  'file-drop-rows-rejected': 'P2',
  'quarantined-events': 'P2',
  'late-events': 'P3',
  'gold-workflow-failed': 'P3',
  'fleet-cpu': 'P3',
  'listed-host-cpu': 'P3',
  'lake-size': 'P3',
} as const satisfies Record<string, 'P0' | 'P1' | 'P2' | 'P3'>;

/** A runbook section with an alarm (its anchor). */
export type AlarmAnchor = keyof typeof ALARM_SEVERITIES;

/** Makes one alarm of the stage: `pulse-<stage>-<what>`, its severity and runbook section in the description, notifying the topic. */
export type AlarmFactory = (
  what: string,
  anchor: AlarmAnchor,
  summary: string,
  options: Omit<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription' | 'actionsEnabled'>,
) => cloudwatch.Alarm;

/** The dashboard variable the one-host widget's query filters on (a pattern variable replaces it). */
export const HOST_VARIABLE_PATTERN = 'PULSE_HOST';

/** Props of {@link Observability}. */
export interface ObservabilityProps {
  stage: string;
  settings: PulseConfig['observability'];
  /** The lake's Firehose buffer interval: the freshness alarm never fires below it. */
  lakeBufferIntervalSeconds: number;
  /** The hot path's flush interval (the time-to-visible SLO's bound is this plus a margin). */
  flushIntervalSeconds: number;
  events: EventStream;
  windows: WindowTable;
  hotPath: HotPath;
  lake: Lake;
  sources: Sources;
  analytics: Analytics;
  /** The hot path reads through its own enhanced fan-out consumer. */
  hotPathFanOut: boolean;
}

/** A function the dashboard and alarms watch, by its name in alarm names. */
interface WatchedFunction {
  name: string;
  fn: lambda.Function;
}

/** The dashboard, the alarms and their topic. */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /** Alarms notify it (state changes to ALARM and back to OK). */
  readonly topic: sns.Topic;
  /** Encrypts the topic; CloudWatch may use it to publish. */
  readonly topicKey: kms.Key;
  /** Every alarm, by its name without the `pulse-<stage>-` prefix. */
  readonly alarms = new Map<string, cloudwatch.Alarm>();
  /** The SLO alarms and widgets. */
  readonly slo: Slo;

  private readonly props: ObservabilityProps;
  private readonly functions: WatchedFunction[];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.props = props;
    const { hotPath, sources } = props;
    this.functions = [
      { name: 'hot-path', fn: hotPath.fn },
      { name: 'collector', fn: sources.collector },
      { name: 'ingest', fn: sources.ingest },
      { name: 'file-drop', fn: sources.fileDrop },
    ];
    // Fleet distributions and log lines when asked; per-host custom metrics only for the listed hosts.
    hotPath.fn.addEnvironment('PULSE_FLEET_METRICS', String(props.settings.fleetMetrics));
    hotPath.fn.addEnvironment('PULSE_FLEET_METRIC_HOSTS', props.settings.fleetMetricHosts.join(','));
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

    this.addAlarms();
    this.slo = new Slo(this, 'Slo', {
      hotPath,
      sources,
      lake: props.lake,
      flushIntervalSeconds: props.flushIntervalSeconds,
      alarm: (...args) => this.alarm(...args),
    });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `pulse-${props.stage}-${Aws.REGION}`, // dashboards are global to the account
      defaultInterval: Duration.hours(3),
      ...(props.settings.fleetMetrics
        ? {
            variables: [
              new cloudwatch.DashboardVariable({
                id: 'host',
                type: cloudwatch.VariableType.PATTERN,
                inputType: cloudwatch.VariableInputType.INPUT,
                value: HOST_VARIABLE_PATTERN,
                label: 'Host',
              }),
            ],
          }
        : {}),
    });
    this.addWidgets();
  }

  // ---- metrics -------------------------------------------------------------

  /** A hot-path EMF metric: namespace, service and the function's name as published by handlers/lib/kinesis-batch.ts. */
  private emf(metricName: string, statistic = 'Sum', period = FIVE_MINUTES, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: HOT_PATH_EMF.namespace,
      metricName,
      dimensionsMap: {
        service: HOT_PATH_EMF.service,
        [HOT_PATH_EMF.functionNameDimension]: this.props.hotPath.fn.functionName,
      },
      statistic,
      period,
      ...(label ? { label } : {}),
    });
  }

  /** A file-drop EMF count (handlers/lib/file-drop.ts), summed: service and the function's name as it publishes them. */
  private fileDropEmf(metricName: string, period = FIVE_MINUTES, label?: string): cloudwatch.Metric {
    return this.countEmf(SOURCE_SERVICES.fileDrop, this.props.sources.fileDrop, metricName, period, label);
  }

  /** An EMF count of a function other than the hot path, summed: its service and its name, as it publishes them. */
  private countEmf(
    service: string,
    fn: lambda.IFunction,
    metricName: string,
    period = FIVE_MINUTES,
    label?: string,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: PULSE_NAMESPACE,
      metricName,
      dimensionsMap: { service, [FUNCTION_NAME_DIMENSION]: fn.functionName },
      statistic: 'Sum',
      period,
      ...(label ? { label } : {}),
    });
  }

  /** The fleet's distribution of `metric` across hosts (no host dimension), as `statistic`. */
  private fleetStat(metric: string, statistic: string, period: Duration, label?: string): cloudwatch.Metric {
    if (!FLEET_METRICS.has(metric)) throw new Error(`${metric} is not one of the fleet metrics`);
    return this.emf(metric, statistic, period, label);
  }

  /** SEARCH over the per-host metric `metric` of this stage's hot path: one line per listed host (no other host has one). */
  private fleetSearch(metric: string, period: Duration): string {
    // Only the metrics the hot path publishes per host: a typo here would draw nothing.
    if (!FLEET_METRICS.has(metric)) throw new Error(`${metric} is not one of the fleet metrics`);
    const e = HOT_PATH_EMF;
    const schema = `{${e.namespace},${e.functionNameDimension},${e.hostDimension},service}`;
    const filter = `MetricName="${metric}" ${e.functionNameDimension}="${this.props.hotPath.fn.functionName}"`;
    return `SEARCH('${schema} ${filter}', 'Average', ${period.toSeconds()})`;
  }

  /** The per-host lines of `metric`, labelled by host. */
  private fleetLines(metric: string, period: Duration): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: this.fleetSearch(metric, period),
      label: "${PROP('Dim.host')}",
      period,
    });
  }

  private firehose(
    metricName: string,
    deliveryStreamName: string,
    statistic: string,
    label?: string,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: deliveryStreamName },
      statistic,
      period: FIVE_MINUTES,
      ...(label ? { label } : {}),
    });
  }

  private s3(
    metricName: string,
    bucketName: string,
    extra: Record<string, string>,
    statistic: string,
    period: Duration,
  ) {
    return new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName,
      dimensionsMap: { BucketName: bucketName, ...extra },
      statistic,
      period,
    });
  }

  private errorRate(fn: lambda.Function): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: '100 * errors / invocations',
      usingMetrics: {
        errors: fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
        invocations: fn.metricInvocations({ statistic: 'Sum', period: FIVE_MINUTES }),
      },
      label: 'error rate, %',
      period: FIVE_MINUTES,
    });
  }

  /** The freshness bound: {@link ALARM_THRESHOLDS}, or the buffer interval plus its margin when higher. */
  private freshnessSeconds(): number {
    return Math.max(
      ALARM_THRESHOLDS.lakeFreshnessSeconds,
      this.props.lakeBufferIntervalSeconds + FRESHNESS_MARGIN_SECONDS,
    );
  }

  /** Timeout of `fn` in ms (Lambda's default, 3 s, when unset). */
  private static timeoutMs(fn: lambda.Function): number {
    return (fn.timeout ?? Duration.seconds(3)).toMilliseconds();
  }

  // ---- alarms --------------------------------------------------------------

  /** One alarm `pulse-<stage>-<what>`, described with its severity and runbook section, notifying the topic. */
  private alarm(...[what, anchor, summary, options]: Parameters<AlarmFactory>): cloudwatch.Alarm {
    const id = what.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
    const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
      ...options,
      alarmName: `pulse-${this.props.stage}-${what}`,
      alarmDescription: `[${ALARM_SEVERITIES[anchor]}] ${summary} Runbook: ${RUNBOOK}#${anchor}`,
      actionsEnabled: true,
    });
    const action = new actions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.set(what, alarm);
    return alarm;
  }

  private addAlarms(): void {
    const { settings, events, windows, hotPath, lake } = this.props;
    const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const T = ALARM_THRESHOLDS;

    // Missing data: no invocations, so no errors and no slow invocations.
    this.alarm(
      'hot-path-error-rate',
      'hot-path-error-rate',
      `Hot path: over ${T.errorRatePercent} % of invocations failed in 5 minutes.`,
      {
        metric: this.errorRate(hotPath.fn),
        threshold: T.errorRatePercent,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      },
    );
    for (const { name, fn } of this.functions.slice(1)) {
      this.alarm(
        `${name}-error-rate`,
        'source-error-rate',
        `Source ${name}: over ${T.errorRatePercent} % of invocations failed in 5 minutes.`,
        {
          metric: this.errorRate(fn),
          threshold: T.errorRatePercent,
          comparisonOperator: above,
          evaluationPeriods: 1,
          treatMissingData: notBreaching,
        },
      );
    }
    for (const { name, fn } of this.functions) {
      const limit = Math.round(T.durationOfTimeout * Observability.timeoutMs(fn));
      this.alarm(
        `${name}-duration`,
        'function-duration',
        `${name}: p99 duration above ${T.durationOfTimeout * 100} % of the timeout (${limit} ms) in 5 minutes.`,
        {
          metric: fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }),
          threshold: limit,
          comparisonOperator: above,
          evaluationPeriods: 1,
          treatMissingData: notBreaching,
        },
      );
    }

    const ageMs = settings.iteratorAgeAlarmSeconds * 1000;
    // Missing data: Lambda reports iterator age only when it invokes, i.e. when records arrive.
    this.alarm(
      'hot-path-iterator-age',
      'hot-path-iterator-age',
      `Hot path over ${settings.iteratorAgeAlarmSeconds} s behind the stream.`,
      {
        metric: hotPath.fn.metric('IteratorAge', { statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: ageMs,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      },
    );
    // Every consumer of the stream (hot path and the Firehose delivery streams).
    this.alarm(
      'stream-iterator-age',
      'stream-iterator-age',
      `A shared-throughput reader of the stream (${this.props.hotPathFanOut ? 'the lake; the hot path reads through its own consumer' : 'hot path or lake'}) over ${settings.iteratorAgeAlarmSeconds} s behind.`,
      {
        metric: events.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: ageMs,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      },
    );

    const table = windows.table;
    this.alarm(
      'window-table-throttles',
      'window-table-throttles',
      `Window table: over ${T.tableThrottlesPerFiveMinutes} throttled requests in 5 minutes.`,
      {
        metric: new cloudwatch.MathExpression({
          // SUM of the array: a period where only one of them has data still counts.
          expression: 'SUM([reads, writes])',
          usingMetrics: {
            reads: table.metric('ReadThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES }),
            writes: table.metric('WriteThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES }),
          },
          label: 'throttled requests',
          period: FIVE_MINUTES,
        }),
        threshold: T.tableThrottlesPerFiveMinutes,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      },
    );

    this.alarm(
      'failed-batches',
      'failed-batches',
      'A batch the hot path gave up on was written to the on-failure bucket.',
      {
        metric: this.s3(
          'PutRequests',
          hotPath.failureBucket.bucketName,
          { FilterId: FAILED_BATCHES_FILTER_ID },
          'Sum',
          FIVE_MINUTES,
        ),
        threshold: 0,
        comparisonOperator: above,
        evaluationPeriods: 1,
        // S3 reports request metrics only for minutes with requests.
        treatMissingData: notBreaching,
      },
    );

    const freshness = this.freshnessSeconds();
    for (const type of EVENT_TYPES) {
      const delivery = lake.deliveryStreams.get(type);
      if (!delivery) continue;
      const lakeTable = LAKE_TABLES[type];
      this.alarm(
        `lake-freshness-${lakeTable.replaceAll('_', '-')}`,
        'lake-freshness',
        `Lake ${lakeTable}: the oldest record in Firehose is over ${freshness} s old.`,
        {
          metric: this.firehose('DeliveryToS3.DataFreshness', delivery.ref, 'Maximum'),
          threshold: freshness,
          comparisonOperator: above,
          evaluationPeriods: 1,
          // Firehose reports freshness while it holds data; none held is fresh.
          treatMissingData: notBreaching,
        },
      );
      // Records that fail conversion or the transform go to errors/ without delaying the rest.
      this.alarm(
        `lake-conversion-failures-${lakeTable.replaceAll('_', '-')}`,
        'lake-failures',
        `Lake ${lakeTable}: records failed Parquet conversion and went to errors/.`,
        {
          metric: this.firehose('FailedConversion.Records', delivery.ref, 'Sum'),
          threshold: 0,
          comparisonOperator: above,
          evaluationPeriods: 1,
          treatMissingData: notBreaching,
        },
      );
      this.alarm(
        `lake-transform-failures-${lakeTable.replaceAll('_', '-')}`,
        'lake-failures',
        `Lake ${lakeTable}: the transform Lambda failed; its records went to errors/.`,
        {
          metric: this.firehose('ExecuteProcessing.Success', delivery.ref, 'Minimum'),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: notBreaching,
        },
      );
    }

    // EMF counters are published every batch, zeros included; no batches means none of either.
    this.alarm(
      'quarantined-events',
      'quarantined-events',
      `More than ${settings.quarantineAlarmPerFiveMinutes} events quarantined in 5 minutes.`,
      {
        metric: this.emf('QuarantinedEvents'),
        threshold: settings.quarantineAlarmPerFiveMinutes,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      },
    );
    this.alarm(
      'late-events',
      'late-events',
      `More than ${settings.lateAlarmPerFiveMinutes} late events in 5 minutes.`,
      {
        metric: this.emf('LateEvents'),
        threshold: settings.lateAlarmPerFiveMinutes,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      },
    );

    if (settings.fleetMetrics) {
      this.alarm(
        'fleet-cpu',
        'fleet-cpu',
        `The fleet's p95 CPU across hosts above ${T.fleetCpuPercent} % for 10 minutes.`,
        {
          metric: this.fleetStat('cpu_utilization', 'p95', FIVE_MINUTES),
          threshold: T.fleetCpuPercent,
          comparisonOperator: above,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          // No fleet data, no hot fleet (the silence shows on the dashboard).
          treatMissingData: notBreaching,
        },
      );
    }
    if (settings.fleetMetricHosts.length > 0) {
      const e = HOT_PATH_EMF;
      this.alarm(
        'listed-host-cpu',
        'listed-host-cpu',
        `A listed host's CPU above ${T.fleetCpuPercent} % for 10 minutes (each listed host is a contributor).`,
        {
          metric: new cloudwatch.MathExpression({
            // Metrics Insights, grouped by host: only the listed hosts have a host dimension.
            expression:
              `SELECT AVG(cpu_utilization) FROM SCHEMA("${e.namespace}", ${e.functionNameDimension}, ${e.hostDimension}, service) ` +
              `WHERE ${e.functionNameDimension} = '${hotPath.fn.functionName}' GROUP BY ${e.hostDimension}`,
            label: 'CPU per listed host, %',
            period: FIVE_MINUTES,
          }),
          threshold: T.fleetCpuPercent,
          comparisonOperator: above,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          // A host that stops reporting is not hot (its silence shows on the dashboard).
          treatMissingData: notBreaching,
        },
      );
    }

    this.alarm('lake-size', 'lake-size', `Lake bucket above ${settings.lakeSizeAlarmGb} GB.`, {
      metric: this.lakeSizeBytes(),
      threshold: settings.lakeSizeAlarmGb * GB,
      comparisonOperator: above,
      // S3 reports storage once a day, late and stamped a day back: look at three days,
      // alarm on one report over, and keep the state through days without a report.
      evaluationPeriods: 3,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });

    // Any message in a dead-letter queue is work that gave up: alarm on the first.
    const deadLetters = (id: 'dead-letters' | 'file-drop-dead-letters', what: string, queue: sqs.IQueue) =>
      this.alarm(id, id, what, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: 0,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      });
    deadLetters(
      'dead-letters',
      'A collector tick failed all its attempts and waits in the DeadLetters queue.',
      deadLetterQueue(this),
    );
    const { sources } = this.props;
    deadLetters(
      'file-drop-dead-letters',
      `A dropped file failed ${FILE_DROP_QUEUE.maxReceiveCount} receives: it is under failed/ with the reason and its notification waits in the file drop's dead-letter queue.`,
      sources.fileDropDeadLetters,
    );
    // Published at every invocation, zeros included; no files, no data.
    this.alarm(
      'file-drop-rows-rejected',
      'file-drop-rows-rejected',
      `More than ${settings.rejectedRowsAlarmPerHour} rows of dropped files rejected in an hour.`,
      {
        metric: this.fileDropEmf(FILE_DROP_EMF.rejected, ONE_HOUR),
        threshold: settings.rejectedRowsAlarmPerHour,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      },
    );
    this.alarm('gold-workflow-failed', 'gold-workflow-failed', 'The daily gold workflow failed.', {
      metric: this.props.analytics.workflow.metricFailed({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 0,
      comparisonOperator: above,
      evaluationPeriods: 1,
      treatMissingData: notBreaching,
    });
  }

  /** Bytes in the lake bucket over every storage class its lifecycle uses (daily). */
  private lakeSizeBytes(): cloudwatch.MathExpression {
    const bucket = this.props.lake.bucket.bucketName;
    const usingMetrics = Object.fromEntries(
      LAKE_STORAGE_TYPES.map((type, i) => [
        `s${i}`,
        this.s3('BucketSizeBytes', bucket, { StorageType: type }, 'Average', ONE_DAY),
      ]),
    );
    return new cloudwatch.MathExpression({
      expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label: 'lake bytes',
      period: ONE_DAY,
    });
  }

  // ---- dashboard -----------------------------------------------------------

  private addWidgets(): void {
    const { settings, events, windows, hotPath, lake, sources } = this.props;
    const W = WIDGET_TITLES;
    const graph = (props: cloudwatch.GraphWidgetProps) =>
      new cloudwatch.GraphWidget({ width: 12, height: 6, ...props });
    const alarmLine = (what: string, label: string, value: number): cloudwatch.HorizontalAnnotation => ({
      value,
      label: `${label} (alarm pulse-${this.props.stage}-${what})`,
      color: cloudwatch.Color.RED,
    });

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# Pulse ${this.props.stage}\n` +
          `Alarms notify the SNS topic pulse-${this.props.stage}-alarms. What each alarm means and what to do: ${RUNBOOK} in the Pulse repository.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...this.alarms.values()],
        width: 24,
        height: 4,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );

    this.dashboard.addWidgets(...this.slo.widgets);

    if (settings.fleetMetrics) {
      const minute = Duration.minutes(1);
      const spread = (metric: string, period: Duration, stats = ['p50', 'p95', 'Maximum']) =>
        stats.map((stat) => this.fleetStat(metric, stat, period, `${metric} ${stat === 'Maximum' ? 'max' : stat}`));
      const percent = { min: 0, max: 100 };
      this.dashboard.addWidgets(
        graph({
          title: W.fleetCpu,
          left: spread('cpu_utilization', minute),
          leftYAxis: percent,
          leftAnnotations: [alarmLine('fleet-cpu', 'p95', ALARM_THRESHOLDS.fleetCpuPercent)],
        }),
        graph({ title: W.fleetMemory, left: spread('memory_usage', minute), leftYAxis: percent }),
      );
      this.dashboard.addWidgets(
        graph({ title: W.fleetDisk, left: spread('disk_usage', FIVE_MINUTES), start: '-PT24H', leftYAxis: percent }),
        graph({
          title: W.fleetNetwork,
          left: [
            ...spread('network_in', minute, ['p95', 'Maximum']),
            ...spread('network_out', minute, ['p95', 'Maximum']),
          ],
        }),
      );
      // Log lines, not custom metrics: one `fleet host` line per host and minute (handlers/lib/fleet-metrics.ts).
      const logs = [hotPath.fn.logGroup.logGroupName];
      const hostLines = `filter message = "${FLEET_HOST_LINE}"`;
      this.dashboard.addWidgets(
        new cloudwatch.LogQueryWidget({
          title: W.fleetTopHosts,
          logGroupNames: logs,
          queryLines: [
            'fields host, cpu_utilization, memory_usage',
            hostLines,
            'stats max(cpu_utilization) as cpu_max, avg(cpu_utilization) as cpu_avg, avg(memory_usage) as memory_avg by host',
            'sort cpu_max desc',
            'limit 10',
          ],
          width: 12,
          height: 6,
        }),
        new cloudwatch.LogQueryWidget({
          title: W.fleetHost,
          logGroupNames: logs,
          queryLines: [
            'fields cpu_utilization, memory_usage, disk_usage',
            `${hostLines} and host = "${HOST_VARIABLE_PATTERN}"`,
            'stats avg(cpu_utilization) as cpu, avg(memory_usage) as memory, avg(disk_usage) as disk by bin(1m)',
          ],
          view: cloudwatch.LogQueryVisualizationType.LINE,
          width: 12,
          height: 6,
        }),
      );
      if (settings.fleetMetricHosts.length > 0) {
        this.dashboard.addWidgets(
          graph({
            title: LISTED_HOSTS_TITLES.cpu,
            left: [this.fleetLines('cpu_utilization', minute)],
            start: '-PT1H',
            leftYAxis: percent,
            leftAnnotations: [alarmLine('listed-host-cpu', 'CPU', ALARM_THRESHOLDS.fleetCpuPercent)],
          }),
          graph({
            title: LISTED_HOSTS_TITLES.memory,
            left: [this.fleetLines('memory_usage', minute)],
            leftYAxis: percent,
          }),
        );
      }
    } else {
      this.dashboard.addWidgets(
        new cloudwatch.TextWidget({
          markdown: `Fleet metrics are off (setting fleetMetrics=false): no fleet widgets and no fleet CPU alarm. Per-host series are in the window table (${windows.table.tableName}).`,
          width: 24,
          height: 2,
        }),
      );
    }

    const fn = hotPath.fn;
    this.dashboard.addWidgets(
      graph({
        title: W.hotPathInvocations,
        left: [
          fn.metricInvocations({ statistic: 'Sum', period: FIVE_MINUTES, label: 'invocations' }),
          fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label: 'errors' }),
        ],
        right: [this.errorRate(fn)],
        rightAnnotations: [alarmLine('hot-path-error-rate', 'error rate', ALARM_THRESHOLDS.errorRatePercent)],
      }),
      graph({
        title: W.iteratorAge,
        left: [
          fn.metric('IteratorAge', {
            statistic: 'Maximum',
            period: Duration.minutes(1),
            label: 'hot path (Lambda IteratorAge)',
          }),
          events.stream.metricGetRecordsIteratorAgeMilliseconds({
            statistic: 'Maximum',
            period: Duration.minutes(1),
            label: 'stream, any consumer (GetRecords.IteratorAgeMilliseconds)',
          }),
        ],
        leftAnnotations: [alarmLine('hot-path-iterator-age', 'iterator age', settings.iteratorAgeAlarmSeconds * 1000)],
      }),
    );

    const delivered = EVENT_TYPES.flatMap((type) => {
      const d = lake.deliveryStreams.get(type);
      return d ? [this.firehose('DeliveryToS3.Records', d.ref, 'Sum', `to lake: ${LAKE_TABLES[type]} rows`)] : [];
    });
    this.dashboard.addWidgets(
      graph({
        title: W.events,
        left: [
          this.emf('EventsIn', 'Sum', FIVE_MINUTES, 'hot path: events in'),
          this.emf('WindowsWritten', 'Sum', FIVE_MINUTES, 'hot path: window writes'),
          ...delivered,
        ],
        right: [
          events.stream.metricIncomingRecords({
            statistic: 'Sum',
            period: FIVE_MINUTES,
            label: 'stream: records in (aggregated)',
          }),
        ],
      }),
      graph({
        title: W.sideOutputs,
        left: [
          this.emf('LateEvents', 'Sum', FIVE_MINUTES, 'late'),
          this.emf('QuarantinedEvents', 'Sum', FIVE_MINUTES, 'quarantined'),
          this.emf('DuplicatesSkipped', 'Sum', FIVE_MINUTES, 'duplicates skipped'),
        ],
        leftAnnotations: [
          alarmLine('late-events', 'late', settings.lateAlarmPerFiveMinutes),
          alarmLine('quarantined-events', 'quarantined', settings.quarantineAlarmPerFiveMinutes),
        ],
      }),
    );

    const table = windows.table;
    const durations = this.functions.map(
      ({ name, fn: f }, i) =>
        new cloudwatch.MathExpression({
          expression: `100 * d${i} / ${Observability.timeoutMs(f)}`,
          usingMetrics: { [`d${i}`]: f.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }) },
          label: name,
          period: FIVE_MINUTES,
        }),
    );
    this.dashboard.addWidgets(
      graph({
        title: W.windowTable,
        left: [
          table.metric('ReadThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES, label: 'read throttles' }),
          table.metric('WriteThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES, label: 'write throttles' }),
        ],
        right: [
          this.emf('WriteRetries', 'Sum', FIVE_MINUTES, 'conditional write retries'),
          this.emf('FailedWrites', 'Sum', FIVE_MINUTES, 'failed writes'),
        ],
        leftAnnotations: [
          alarmLine('window-table-throttles', 'throttles', ALARM_THRESHOLDS.tableThrottlesPerFiveMinutes),
        ],
      }),
      graph({
        title: W.duration,
        left: durations,
        leftYAxis: { min: 0, max: 100 },
        leftAnnotations: [alarmLine('<function>-duration', 'p99', ALARM_THRESHOLDS.durationOfTimeout * 100)],
      }),
    );

    const stage = sources.api.deploymentStage;
    this.dashboard.addWidgets(
      graph({
        title: W.sources,
        left: this.functions
          .slice(1)
          .flatMap(({ name, fn: f }) => [
            f.metricInvocations({ statistic: 'Sum', period: FIVE_MINUTES, label: `${name} invocations` }),
            f.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label: `${name} errors` }),
          ]),
      }),
      graph({
        title: W.ingestApi,
        left: [
          stage.metricCount({ statistic: 'Sum', period: FIVE_MINUTES, label: 'requests' }),
          stage.metricClientError({ statistic: 'Sum', period: FIVE_MINUTES, label: '4XX (429: throttled)' }),
          stage.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES, label: '5XX' }),
        ],
        right: [stage.metricLatency({ statistic: 'p99', period: FIVE_MINUTES, label: 'latency p99, ms' })],
      }),
    );

    const E = FILE_DROP_EMF;
    this.dashboard.addWidgets(
      graph({
        title: W.fileDropFiles,
        left: [
          this.fileDropEmf(E.processed, FIVE_MINUTES, 'files processed'),
          this.fileDropEmf(E.failed, FIVE_MINUTES, 'files failed (moved to failed/ whole)'),
        ],
        right: [
          this.fileDropEmf(E.accepted, ONE_HOUR, 'rows accepted (hour)'),
          this.fileDropEmf(E.rejected, ONE_HOUR, 'rows rejected (hour)'),
        ],
        rightAnnotations: [alarmLine('file-drop-rows-rejected', 'rejected', settings.rejectedRowsAlarmPerHour)],
      }),
      graph({
        title: W.fileDropQueue,
        left: [
          sources.fileDropQueue.metricApproximateNumberOfMessagesVisible({
            statistic: 'Maximum',
            period: FIVE_MINUTES,
            label: 'notifications waiting',
          }),
          sources.fileDropDeadLetters.metricApproximateNumberOfMessagesVisible({
            statistic: 'Maximum',
            period: FIVE_MINUTES,
            label: 'dead letters',
          }),
        ],
        right: [
          sources.fileDropQueue.metricApproximateAgeOfOldestMessage({
            statistic: 'Maximum',
            period: FIVE_MINUTES,
            label: 'oldest notification, s',
          }),
        ],
        leftAnnotations: [alarmLine('file-drop-dead-letters', 'dead letters', 0)],
      }),
    );

    // The functions' own counts (handlers/lib/sources.ts, lake-transform.ts): one row, no alarms.
    const count = (service: string, fn: lambda.IFunction, metric: string, label: string) =>
      this.countEmf(service, fn, metric, FIVE_MINUTES, label);
    const C = COLLECTOR_EMF;
    const I = INGEST_EMF;
    const T = LAKE_TRANSFORM_EMF;
    const third = (props: cloudwatch.GraphWidgetProps) => graph({ width: 8, ...props });
    this.dashboard.addWidgets(
      third({
        title: W.collectorCounts,
        left: [count(SOURCE_SERVICES.collector, sources.collector, C.ticks, 'ticks collected')],
        right: [count(SOURCE_SERVICES.collector, sources.collector, C.eventsProduced, 'events produced')],
      }),
      third({
        title: W.ingestCounts,
        left: [
          count(SOURCE_SERVICES.ingest, sources.ingest, I.ok, 'requests 2xx'),
          count(SOURCE_SERVICES.ingest, sources.ingest, I.clientError, 'requests 4xx'),
          count(SOURCE_SERVICES.ingest, sources.ingest, I.serverError, 'requests 5xx'),
        ],
        right: [
          count(SOURCE_SERVICES.ingest, sources.ingest, I.eventsAccepted, 'events accepted'),
          count(SOURCE_SERVICES.ingest, sources.ingest, I.eventsRejected, 'events rejected'),
        ],
      }),
      third({
        title: W.transformRecords,
        left: EVENT_TYPES.flatMap((type) => {
          const fn = lake.transforms.get(type);
          const table = LAKE_TABLES[type];
          return fn
            ? [
                count(LAKE_TRANSFORM_SERVICE, fn, T.ok, `${table} ok`),
                count(LAKE_TRANSFORM_SERVICE, fn, T.dropped, `${table} dropped (other type)`),
                count(LAKE_TRANSFORM_SERVICE, fn, T.processingFailed, `${table} failed (to errors/)`),
              ]
            : [];
        }),
      }),
    );

    const freshness = this.freshnessSeconds();
    const perStream = (metric: string, statistic: string, what: string) =>
      EVENT_TYPES.flatMap((type) => {
        const d = lake.deliveryStreams.get(type);
        return d ? [this.firehose(metric, d.ref, statistic, `${LAKE_TABLES[type]} ${what}`)] : [];
      });
    this.dashboard.addWidgets(
      graph({
        title: W.lakeFreshness,
        left: perStream('DeliveryToS3.DataFreshness', 'Maximum', 'freshness'),
        leftAnnotations: [alarmLine('lake-freshness-<table>', 'freshness', freshness)],
      }),
      graph({
        title: W.lakeDelivery,
        left: [
          ...perStream('DeliveryToS3.Success', 'Minimum', 'delivery success (1 = all)'),
          ...perStream('ExecuteProcessing.Success', 'Minimum', 'transform success (1 = all)'),
        ],
        right: perStream('FailedConversion.Records', 'Sum', 'records failing Parquet conversion'),
      }),
    );

    const failureBucket = hotPath.failureBucket.bucketName;
    this.dashboard.addWidgets(
      graph({
        title: W.failedBatches,
        left: [
          this.s3('PutRequests', failureBucket, { FilterId: FAILED_BATCHES_FILTER_ID }, 'Sum', FIVE_MINUTES).with({
            label: 'failed batches written (5 min)',
          }),
        ],
        right: [
          this.s3('NumberOfObjects', failureBucket, { StorageType: 'AllStorageTypes' }, 'Average', ONE_DAY).with({
            label: 'objects in the bucket (daily)',
          }),
        ],
      }),
      graph({
        title: W.lakeSize,
        left: [
          new cloudwatch.MathExpression({
            expression: `lake / ${GB}`,
            usingMetrics: { lake: this.lakeSizeBytes() },
            label: 'lake GB, every storage class',
            period: ONE_DAY,
          }),
        ],
        leftAnnotations: [alarmLine('lake-size', 'size', settings.lakeSizeAlarmGb)],
        start: '-P30D',
      }),
    );
  }
}
