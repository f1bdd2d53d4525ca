/**
 * How every alarm of a stage is made: named `pulse-<stage>-<what>`, its description
 * starting with its severity ({@link ALARM_SEVERITIES}, by runbook section) and ending with
 * its section of docs/runbook.md, notifying the stage's topic on ALARM and on OK. Alarms
 * are rows of data ({@link AlarmRow}) made by one loop ({@link addAlarms}).
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** The runbook file alarm descriptions point to (sections are the alarms' anchors). */
export const RUNBOOK = 'docs/runbook.md';

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
export const FRESHNESS_MARGIN_SECONDS = 300;

/** The lake freshness bound, seconds: {@link ALARM_THRESHOLDS}, or the buffer interval plus its margin when higher. */
export function lakeFreshnessSeconds(bufferIntervalSeconds: number): number {
  return Math.max(ALARM_THRESHOLDS.lakeFreshnessSeconds, bufferIntervalSeconds + FRESHNESS_MARGIN_SECONDS);
}

/** What an alarm's row leaves to the factory: name, description and actions. */
export type AlarmOptions = Omit<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription' | 'actionsEnabled'>;

/** Makes one alarm of the stage: `pulse-<stage>-<what>`, its severity and runbook section in the description, notifying the topic. */
export type AlarmFactory = (
  what: string,
  anchor: AlarmAnchor,
  summary: string,
  options: AlarmOptions,
) => cloudwatch.Alarm;

/**
 * One alarm, as data. What most alarms share is the default: above the threshold, in one
 * period, and missing data is not breaching (no invocations, no records, no files: nothing
 * failed). A row says why when it differs.
 */
export interface AlarmRow {
  /** The runbook section, also the name when {@link AlarmRow.what} is not given. */
  anchor: AlarmAnchor;
  /** The name after `pulse-<stage>-` (default: the anchor). */
  what?: string;
  /** One sentence for on-call: what crossed which bound. */
  summary: string;
  metric: cloudwatch.IMetric;
  threshold: number;
  /** Default: greater than the threshold. */
  comparisonOperator?: cloudwatch.ComparisonOperator;
  /** Periods looked at (default 1). */
  evaluationPeriods?: number;
  /** Periods of those that must breach (default: all of them). */
  datapointsToAlarm?: number;
  /** Default: not breaching. */
  treatMissingData?: cloudwatch.TreatMissingData;
}

/** Makes each row with `alarm`, in order (the order of the dashboard's alarm list). */
export function addAlarms(alarm: AlarmFactory, rows: readonly AlarmRow[]): void {
  for (const { anchor, what, summary, ...options } of rows) {
    alarm(what ?? anchor, anchor, summary, {
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...options,
    });
  }
}

/**
 * The factory of the stage's alarms: each is made in `scope` (its construct id is `what`
 * in PascalCase plus `Alarm`), notifies `topic` and is recorded in `made` by `what`.
 */
export function alarmFactory(
  scope: Construct,
  stage: string,
  topic: sns.ITopic,
  made: Map<string, cloudwatch.Alarm>,
): AlarmFactory {
  return (what, anchor, summary, options) => {
    const id = what.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
    const alarm = new cloudwatch.Alarm(scope, `${id}Alarm`, {
      ...options,
      alarmName: `pulse-${stage}-${what}`,
      alarmDescription: `[${ALARM_SEVERITIES[anchor]}] ${summary} Runbook: ${RUNBOOK}#${anchor}`,
      actionsEnabled: true,
    });
    const action = new actions.SnsAction(topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    made.set(what, alarm);
    return alarm;
  };
}
