/**
 * The dashboard rows of the pipeline itself: the hot path (invocations, iterator age,
 * events in and out, side outputs, the window table, durations) and the lake (freshness,
 * delivery, failed batches, size).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ALARM_THRESHOLDS, lakeFreshnessSeconds } from './alarms.js';
import { FIVE_MINUTES, GB, ONE_DAY, StageMetrics } from './metrics.js';
import { graph, WIDGET_TITLES as W, type WidgetContext, type WidgetRow } from './widgets.js';

/** The hot path's rows: invocations and iterator age; events and side outputs; the window table and durations. */
export function hotPathRows({ props, metrics: m, alarmLine }: WidgetContext): WidgetRow[] {
  const { settings, events } = props;
  const fn = props.hotPath.fn;
  const minute = Duration.minutes(1);
  const durations = m.functions.all.map(
    ({ name, fn: f }, i) =>
      new cloudwatch.MathExpression({
        expression: `100 * d${i} / ${StageMetrics.timeoutMs(f)}`,
        usingMetrics: { [`d${i}`]: f.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }) },
        label: name,
        period: FIVE_MINUTES,
      }),
  );
  return [
    [
      graph({
        title: W.hotPathInvocations,
        left: [
          fn.metricInvocations({ statistic: 'Sum', period: FIVE_MINUTES, label: 'invocations' }),
          fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label: 'errors' }),
        ],
        right: [m.hotPathErrorRate],
        rightAnnotations: [alarmLine('hot-path-error-rate', 'error rate', ALARM_THRESHOLDS.errorRatePercent)],
      }),
      graph({
        title: W.iteratorAge,
        left: [
          fn.metric('IteratorAge', { statistic: 'Maximum', period: minute, label: 'hot path (Lambda IteratorAge)' }),
          events.stream.metricGetRecordsIteratorAgeMilliseconds({
            statistic: 'Maximum',
            period: minute,
            label: 'stream, any consumer (GetRecords.IteratorAgeMilliseconds)',
          }),
        ],
        leftAnnotations: [alarmLine('hot-path-iterator-age', 'iterator age', settings.iteratorAgeAlarmSeconds * 1000)],
      }),
    ],
    [
      graph({
        title: W.events,
        left: [
          m.emf('EventsIn', 'Sum', FIVE_MINUTES, 'hot path: events in'),
          m.emf('WindowsWritten', 'Sum', FIVE_MINUTES, 'hot path: window writes'),
          ...m.deliveries.map((d) => m.firehose('DeliveryToS3.Records', d.name, 'Sum', `to lake: ${d.table} rows`)),
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
          m.late.with({ label: 'late' }),
          m.quarantined.with({ label: 'quarantined' }),
          m.emf('DuplicatesSkipped', 'Sum', FIVE_MINUTES, 'duplicates skipped'),
        ],
        leftAnnotations: [
          alarmLine('late-events', 'late', settings.lateAlarmPerFiveMinutes),
          alarmLine('quarantined-events', 'quarantined', settings.quarantineAlarmPerFiveMinutes),
        ],
      }),
    ],
    [
      graph({
        title: W.windowTable,
        left: [
          m.tableThrottles.reads.with({ label: 'read throttles' }),
          m.tableThrottles.writes.with({ label: 'write throttles' }),
        ],
        right: [
          m.emf('WriteRetries', 'Sum', FIVE_MINUTES, 'conditional write retries'),
          m.emf('FailedWrites', 'Sum', FIVE_MINUTES, 'failed writes'),
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
    ],
  ];
}

/** The lake's rows: freshness and delivery of each delivery stream; failed batches and the lake's size. */
export function lakeRows({ props, metrics: m, alarmLine }: WidgetContext): WidgetRow[] {
  const perStream = (metric: string, statistic: string, what: string) =>
    m.deliveries.map((d) => m.firehose(metric, d.name, statistic, `${d.table} ${what}`));
  const failureBucket = props.hotPath.failureBucket.bucketName;
  return [
    [
      graph({
        title: W.lakeFreshness,
        left: perStream('DeliveryToS3.DataFreshness', 'Maximum', 'freshness'),
        leftAnnotations: [
          alarmLine('lake-freshness-<table>', 'freshness', lakeFreshnessSeconds(props.lakeBufferIntervalSeconds)),
        ],
      }),
      graph({
        title: W.lakeDelivery,
        left: [
          ...perStream('DeliveryToS3.Success', 'Minimum', 'delivery success (1 = all)'),
          ...perStream('ExecuteProcessing.Success', 'Minimum', 'transform success (1 = all)'),
        ],
        right: perStream('FailedConversion.Records', 'Sum', 'records failing Parquet conversion'),
      }),
    ],
    [
      graph({
        title: W.failedBatches,
        left: [m.failedBatches.with({ label: 'failed batches written (5 min)' })],
        right: [
          m.s3('NumberOfObjects', failureBucket, { StorageType: 'AllStorageTypes' }, 'Average', ONE_DAY).with({
            label: 'objects in the bucket (daily)',
          }),
        ],
      }),
      graph({
        title: W.lakeSize,
        left: [
          new cloudwatch.MathExpression({
            expression: `lake / ${GB}`,
            usingMetrics: { lake: m.lakeSizeBytes },
            label: 'lake GB, every storage class',
            period: ONE_DAY,
          }),
        ],
        leftAnnotations: [alarmLine('lake-size', 'size', props.settings.lakeSizeAlarmGb)],
        start: '-P30D',
      }),
    ],
  ];
}
