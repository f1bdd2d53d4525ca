/**
 * The CloudWatch metrics the stage's alarms and dashboard read, each with the dimension
 * naming our resource (function, table, stream, delivery stream, bucket): a metric without
 * it never has data. A metric an alarm reads is built once here, and the dashboard draws
 * that same metric with a label (`metric.with({ label })`), so the two cannot disagree.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { EVENT_TYPES, type EventType } from '#core/contract/events.js';
import { LAKE_TABLES } from '#core/lake/columns.js';
import {
  FILE_DROP_EMF,
  FLEET_METRICS,
  FUNCTION_NAME_DIMENSION,
  HOT_PATH_EMF,
  PULSE_NAMESPACE,
  SOURCE_SERVICES,
} from '#core/metrics/names.js';
import { InfraError } from '#infra/errors.js';
import type { ObservabilityProps, WatchedFunctions } from './watched.js';
import { watchedFunctions } from './watched.js';

/** The period of most alarms and graphs. */
export const FIVE_MINUTES = Duration.minutes(5);
/** The period of hourly counts (rows rejected, the SLOs). */
export const ONE_HOUR = Duration.hours(1);
/** S3 storage metrics come once a day. */
export const ONE_DAY = Duration.days(1);
/** Bytes in a GB (2^30), as the lake-size setting counts them. */
export const GB = 2 ** 30;

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

/** A delivery stream of the lake, with its event type and table. */
export interface LakeDelivery {
  type: EventType;
  table: string;
  /** The delivery stream's name (`DeliveryStreamName` dimension). */
  name: string;
}

/** The metrics of one stage (see the module comment). */
export class StageMetrics {
  /** The functions with duration and error-rate alarms, each named. */
  readonly functions: WatchedFunctions;
  /** The lake's delivery streams, in event-type order. */
  readonly deliveries: LakeDelivery[];
  /** Errors per invocation of the hot path, percent, per 5 minutes. */
  readonly hotPathErrorRate: cloudwatch.MathExpression;
  /** Read and write throttle events of the window table, per 5 minutes. */
  readonly tableThrottles: { reads: cloudwatch.Metric; writes: cloudwatch.Metric };
  /** Objects written to the on-failure bucket (S3 request metrics: one-minute data), per 5 minutes. */
  readonly failedBatches: cloudwatch.Metric;
  /** Hot-path events quarantined, per 5 minutes. */
  readonly quarantined: cloudwatch.Metric;
  /** Hot-path events late beyond the allowed lateness, per 5 minutes. */
  readonly late: cloudwatch.Metric;
  /** Rows of dropped files rejected, per hour. */
  readonly rejectedRows: cloudwatch.Metric;
  /** Notifications in the file drop's dead-letter queue. */
  readonly fileDropDeadLetters: cloudwatch.Metric;
  /**
   * Bytes in the lake bucket over every storage class its lifecycle uses (daily):
   * `StandardStorage` alone would drop everything older than 30 days.
   */
  readonly lakeSizeBytes: cloudwatch.MathExpression;

  private readonly props: ObservabilityProps;

  constructor(props: ObservabilityProps) {
    this.props = props;
    this.functions = watchedFunctions(props);
    this.deliveries = EVENT_TYPES.flatMap((type) => {
      const d = props.lake.deliveryStreams.get(type);
      return d ? [{ type, table: LAKE_TABLES[type], name: d.ref }] : [];
    });
    this.hotPathErrorRate = StageMetrics.errorRate(props.hotPath.fn);
    const table = props.windows.table;
    this.tableThrottles = {
      reads: table.metric('ReadThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES }),
      writes: table.metric('WriteThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES }),
    };
    this.failedBatches = this.s3(
      'PutRequests',
      props.hotPath.failureBucket.bucketName,
      { FilterId: FAILED_BATCHES_FILTER_ID },
      'Sum',
      FIVE_MINUTES,
    );
    this.quarantined = this.emf('QuarantinedEvents');
    this.late = this.emf('LateEvents');
    this.rejectedRows = this.fileDrop(FILE_DROP_EMF.rejected, ONE_HOUR);
    this.fileDropDeadLetters = props.sources.fileDropDeadLetters.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      period: FIVE_MINUTES,
    });
    const bucket = props.lake.bucket.bucketName;
    const usingMetrics = Object.fromEntries(
      LAKE_STORAGE_TYPES.map((type, i) => [
        `s${i}`,
        this.s3('BucketSizeBytes', bucket, { StorageType: type }, 'Average', ONE_DAY),
      ]),
    );
    this.lakeSizeBytes = new cloudwatch.MathExpression({
      expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label: 'lake bytes',
      period: ONE_DAY,
    });
  }

  /** A hot-path EMF metric: namespace, service and the function's name as handlers/lib/kinesis-batch.ts publishes them. */
  emf(metricName: string, statistic = 'Sum', period = FIVE_MINUTES, label?: string): cloudwatch.Metric {
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

  /** An EMF count of a function other than the hot path's windows, summed: its service and its name, as it publishes them. */
  count(
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

  /** A file-drop EMF count (handlers/lib/file-drop.ts), summed. */
  fileDrop(metricName: string, period = FIVE_MINUTES, label?: string): cloudwatch.Metric {
    return this.count(SOURCE_SERVICES.fileDrop, this.props.sources.fileDrop, metricName, period, label);
  }

  /** The fleet's distribution of `metric` across hosts (no host dimension), as `statistic`. */
  fleetStat(metric: string, statistic: string, period: Duration, label?: string): cloudwatch.Metric {
    return this.emf(StageMetrics.fleetMetric(metric), statistic, period, label);
  }

  /**
   * The per-host lines of `metric`, labelled by host: SEARCH over the per-host metric of this
   * stage's hot path, one line per listed host (no other host has one).
   */
  fleetLines(metric: string, period: Duration): cloudwatch.MathExpression {
    const e = HOT_PATH_EMF;
    const schema = `{${e.namespace},${e.functionNameDimension},${e.hostDimension},service}`;
    const filter = `MetricName="${StageMetrics.fleetMetric(metric)}" ${e.functionNameDimension}="${this.props.hotPath.fn.functionName}"`;
    return new cloudwatch.MathExpression({
      expression: `SEARCH('${schema} ${filter}', 'Average', ${period.toSeconds()})`,
      label: "${PROP('Dim.host')}",
      period,
    });
  }

  /** The average CPU of each listed host (Metrics Insights, grouped by host: only the listed hosts have a host dimension). */
  listedHostCpu(): cloudwatch.MathExpression {
    const e = HOT_PATH_EMF;
    return new cloudwatch.MathExpression({
      expression:
        `SELECT AVG(cpu_utilization) FROM SCHEMA("${e.namespace}", ${e.functionNameDimension}, ${e.hostDimension}, service) ` +
        `WHERE ${e.functionNameDimension} = '${this.props.hotPath.fn.functionName}' GROUP BY ${e.hostDimension}`,
      label: 'CPU per listed host, %',
      period: FIVE_MINUTES,
    });
  }

  /** A Firehose metric of one delivery stream, per 5 minutes. */
  firehose(metricName: string, deliveryStreamName: string, statistic: string, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: deliveryStreamName },
      statistic,
      period: FIVE_MINUTES,
      ...(label ? { label } : {}),
    });
  }

  /** An S3 metric of one bucket (request metrics need the filter's `FilterId`, storage metrics a `StorageType`). */
  s3(
    metricName: string,
    bucketName: string,
    extra: Record<string, string>,
    statistic: string,
    period: Duration,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName,
      dimensionsMap: { BucketName: bucketName, ...extra },
      statistic,
      period,
    });
  }

  /** Errors per invocation of `fn`, percent, per 5 minutes. */
  static errorRate(fn: lambda.IFunction): cloudwatch.MathExpression {
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

  /** Timeout of `fn` in ms (Lambda's default, 3 s, when unset). */
  static timeoutMs(fn: lambda.Function): number {
    return (fn.timeout ?? Duration.seconds(3)).toMilliseconds();
  }

  /**
   * `metric`, checked to be one the hot path publishes for the fleet: a typo would draw nothing.
   * @throws InfraError naming the metric
   */
  private static fleetMetric(metric: string): string {
    if (!FLEET_METRICS.has(metric)) {
      throw new InfraError(
        `${metric} is not one of the fleet metrics (FLEET_METRICS, core/metrics/names.ts): the hot path publishes no such metric`,
      );
    }
    return metric;
  }
}
