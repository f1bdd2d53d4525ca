/**
 * The alarms of a stage as a table: one row per alarm, in the order the dashboard lists
 * them (the SLO alarms follow, from ./slo.ts). Thresholds come from the settings or
 * {@link ALARM_THRESHOLDS}; each row's comment says why its missing data or periods differ
 * from the defaults of {@link AlarmRow}.
 *
 * - Failed batches: S3 request metrics on the on-failure bucket (`PutRequests`, one-minute
 *   data) rather than the daily `NumberOfObjects` storage metric, which lags up to two days.
 * - Fleet CPU: the p95 across hosts above 80 % for two 5-minute periods, one standard alarm
 *   whatever the fleet's size; the listed hosts also get a Metrics Insights alarm grouped
 *   by host (each listed host a contributor).
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { FILE_DROP_QUEUE } from '#core/sources/file-drop.js';
import { ALARM_THRESHOLDS, type AlarmRow, lakeFreshnessSeconds } from './alarms.js';
import { FIVE_MINUTES, GB, StageMetrics } from './metrics.js';
import type { ObservabilityProps } from './watched.js';

/** Every alarm of the stage but the SLOs' (see the module comment). */
export function stageAlarms(m: StageMetrics, props: ObservabilityProps, deadLetters: sqs.IQueue): AlarmRow[] {
  const { settings, events, analytics } = props;
  const T = ALARM_THRESHOLDS;
  const { hotPath: hot, sources, all } = m.functions;
  const ageMs = settings.iteratorAgeAlarmSeconds * 1000;
  const freshness = lakeFreshnessSeconds(props.lakeBufferIntervalSeconds);
  const readers = props.hotPathFanOut ? 'the lake; the hot path reads through its own consumer' : 'hot path or lake';
  return [
    {
      anchor: 'hot-path-error-rate',
      summary: `Hot path: over ${T.errorRatePercent} % of invocations failed in 5 minutes.`,
      metric: m.hotPathErrorRate,
      threshold: T.errorRatePercent,
    },
    ...sources.map(({ name, fn }): AlarmRow => ({
      anchor: 'source-error-rate',
      what: `${name}-error-rate`,
      summary: `Source ${name}: over ${T.errorRatePercent} % of invocations failed in 5 minutes.`,
      metric: StageMetrics.errorRate(fn),
      threshold: T.errorRatePercent,
    })),
    ...all.map(({ name, fn }): AlarmRow => {
      const limit = Math.round(T.durationOfTimeout * StageMetrics.timeoutMs(fn));
      return {
        anchor: 'function-duration',
        what: `${name}-duration`,
        summary: `${name}: p99 duration above ${T.durationOfTimeout * 100} % of the timeout (${limit} ms) in 5 minutes.`,
        metric: fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }),
        threshold: limit,
      };
    }),
    {
      // Lambda reports iterator age only when it invokes, i.e. when records arrive.
      anchor: 'hot-path-iterator-age',
      summary: `Hot path over ${settings.iteratorAgeAlarmSeconds} s behind the stream.`,
      metric: hot.fn.metric('IteratorAge', { statistic: 'Maximum', period: FIVE_MINUTES }),
      threshold: ageMs,
    },
    {
      // Every reader of the stream's shared throughput (hot path and the Firehose delivery streams).
      anchor: 'stream-iterator-age',
      summary: `A shared-throughput reader of the stream (${readers}) over ${settings.iteratorAgeAlarmSeconds} s behind.`,
      metric: events.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: FIVE_MINUTES }),
      threshold: ageMs,
    },
    {
      anchor: 'window-table-throttles',
      summary: `Window table: over ${T.tableThrottlesPerFiveMinutes} throttled requests in 5 minutes.`,
      metric: new cloudwatch.MathExpression({
        // SUM of the array: a period where only one of them has data still counts.
        expression: 'SUM([reads, writes])',
        usingMetrics: { ...m.tableThrottles },
        label: 'throttled requests',
        period: FIVE_MINUTES,
      }),
      threshold: T.tableThrottlesPerFiveMinutes,
    },
    {
      // S3 reports request metrics only for minutes with requests.
      anchor: 'failed-batches',
      summary: 'A batch the hot path gave up on was written to the on-failure bucket.',
      metric: m.failedBatches,
      threshold: 0,
    },
    ...m.deliveries.flatMap(({ table, name }): AlarmRow[] => {
      const suffix = table.replaceAll('_', '-');
      return [
        {
          // Firehose reports freshness while it holds data; none held is fresh.
          anchor: 'lake-freshness',
          what: `lake-freshness-${suffix}`,
          summary: `Lake ${table}: the oldest record in Firehose is over ${freshness} s old.`,
          metric: m.firehose('DeliveryToS3.DataFreshness', name, 'Maximum'),
          threshold: freshness,
        },
        {
          // Records that fail conversion or the transform go to errors/ without delaying the rest.
          anchor: 'lake-failures',
          what: `lake-conversion-failures-${suffix}`,
          summary: `Lake ${table}: records failed Parquet conversion and went to errors/.`,
          metric: m.firehose('FailedConversion.Records', name, 'Sum'),
          threshold: 0,
        },
        {
          anchor: 'lake-failures',
          what: `lake-transform-failures-${suffix}`,
          summary: `Lake ${table}: the transform Lambda failed; its records went to errors/.`,
          metric: m.firehose('ExecuteProcessing.Success', name, 'Minimum'),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        },
      ];
    }),
    // EMF counters are published every batch, zeros included; no batches means none of either.
    {
      anchor: 'quarantined-events',
      summary: `More than ${settings.quarantineAlarmPerFiveMinutes} events quarantined in 5 minutes.`,
      metric: m.quarantined,
      threshold: settings.quarantineAlarmPerFiveMinutes,
    },
    {
      anchor: 'late-events',
      summary: `More than ${settings.lateAlarmPerFiveMinutes} late events in 5 minutes.`,
      metric: m.late,
      threshold: settings.lateAlarmPerFiveMinutes,
    },
    ...(settings.fleetMetrics
      ? [
          {
            // No fleet data, no hot fleet (the silence shows on the dashboard).
            anchor: 'fleet-cpu',
            summary: `The fleet's p95 CPU across hosts above ${T.fleetCpuPercent} % for 10 minutes.`,
            metric: m.fleetStat('cpu_utilization', 'p95', FIVE_MINUTES),
            threshold: T.fleetCpuPercent,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
          } satisfies AlarmRow,
        ]
      : []),
    ...(settings.fleetMetricHosts.length > 0
      ? [
          {
            // A host that stops reporting is not hot (its silence shows on the dashboard).
            anchor: 'listed-host-cpu',
            summary: `A listed host's CPU above ${T.fleetCpuPercent} % for 10 minutes (each listed host is a contributor).`,
            metric: m.listedHostCpu(),
            threshold: T.fleetCpuPercent,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
          } satisfies AlarmRow,
        ]
      : []),
    {
      // S3 reports storage once a day, late and stamped a day back: look at three days,
      // alarm on one report over, and keep the state through days without a report.
      anchor: 'lake-size',
      summary: `Lake bucket above ${settings.lakeSizeAlarmGb} GB.`,
      metric: m.lakeSizeBytes,
      threshold: settings.lakeSizeAlarmGb * GB,
      evaluationPeriods: 3,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    },
    // Any message in a dead-letter queue is work that gave up: alarm on the first.
    {
      anchor: 'dead-letters',
      summary: 'A collector tick failed all its attempts and waits in the DeadLetters queue.',
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
      threshold: 0,
    },
    {
      anchor: 'file-drop-dead-letters',
      summary: `A dropped file failed ${FILE_DROP_QUEUE.maxReceiveCount} receives: it is under failed/ with the reason and its notification waits in the file drop's dead-letter queue.`,
      metric: m.fileDropDeadLetters,
      threshold: 0,
    },
    {
      // Published at every invocation, zeros included; no files, no data.
      anchor: 'file-drop-rows-rejected',
      summary: `More than ${settings.rejectedRowsAlarmPerHour} rows of dropped files rejected in an hour.`,
      metric: m.rejectedRows,
      threshold: settings.rejectedRowsAlarmPerHour,
    },
    {
      anchor: 'gold-workflow-failed',
      summary: 'The daily gold workflow failed.',
      metric: analytics.workflow.metricFailed({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 0,
    },
  ];
}
