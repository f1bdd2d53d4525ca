/**
 * The service-level objectives of seed 003 (core/slo/slos.ts: the targets and SLIs that
 * local mode evaluates too) as CloudWatch alarms and dashboard widgets (docs/runbook.md,
 * "Service-level objectives"). Each alarm is a plain threshold on the
 * SLI over a stated window, not a burn rate: at these volumes one window per objective
 * is enough to act on, and each costs one alarm.
 *
 * - Ingest API availability ≥ SLO_TARGETS.ingestAvailability over a sliding
 *   hour: 5XX / requests (API Gateway `5XXError`, `Count`). 4XX, 429 included, are the
 *   client's: a throttled client retries with its Idempotency-Key, and throttling is a
 *   setting (`ingestRateLimit`); API Gateway does not tell 429 from other 4XX anyway.
 *   Hours with fewer than {@link SLO_ALARMS}.ingestMinRequestsPerHour requests do not alarm (one 5XX in
 *   50 requests is 2 %); the `ingest-error-rate` alarm still sees them.
 * - Ingest API latency: p95 of `Latency` per 5 minutes above the bound in 3 periods in a row.
 * - Data loss ≤ SLO_TARGETS.dataLossRatio per hour: the events of the stack's sources as Kinesis
 *   accepted them (`SloProduced`) against the same events as the hot path decoded them
 *   (`SloHotPath`) and as lake rows (`SloLake`). All three are bucketed by the minute the
 *   events entered the stream and stamped an hour later (handlers/lib/emf.ts, SLO_EMF),
 *   so the sliding hour the alarm reads is the hour before last, which every side has
 *   finished counting: no edge where one side has counted an event and another not yet.
 *   loss = max(produced − hot path, produced − lake) / produced.
 * - Time to visible: p95 of `TimeToVisible` (a record's arrival in the stream to the
 *   flush that wrote its windows) per period above `freshnessBoundMs` (flush interval + 60 s)
 *   in 3 periods in a row. Arrival, not `occurred_at`: hosts' clocks are not ours (events
 *   up to 5 minutes in the future are accepted) and an agent replaying its buffer is not
 *   the pipeline's delay; `EventTimeLag` on the dashboard shows event time.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EVENT_TYPES } from '#core/contract/events.js';
import { HOT_PATH_EMF, LAKE_TRANSFORM_SERVICE, SLO_EMF, SOURCE_SERVICES } from '#core/metrics/names.js';
import { freshnessBoundMs, SLO_TARGETS } from '#core/slo/slos.js';
import type { Lake } from '#infra/constructs/lake.js';
import type { Sources } from '#infra/constructs/sources.js';
import { addAlarms, type AlarmFactory } from './alarms.js';
import { FIVE_MINUTES, ONE_HOUR, type StageMetrics } from './metrics.js';

/** What the alarms add to the objectives (core/slo/slos.ts, SLO_TARGETS), as data. */
export const SLO_ALARMS = {
  /** Fewer ingest requests than this in the hour: no availability alarm (one 5XX in 50 requests is 2 %). */
  ingestMinRequestsPerHour: 100,
} as const;

/** A percentage without binary noise (100 × 0.999 is 99.9, 100 × (1 − 0.999) is not 0.1). */
const percent = (fraction: number) => Number((fraction * 100).toFixed(6));

/** Titles of the SLO widgets, in order. */
export const SLO_WIDGET_TITLES = {
  sloAvailability: 'SLO: ingest API availability, % without 5XX (sliding hour)',
  sloLatency: 'SLO: ingest API latency p95, ms (5 minutes)',
  sloDataLoss: 'SLO: data loss, % (hour before last, by stream arrival)',
  sloTimeToVisible: 'SLO: time to visible p95, s (stream arrival to windows)',
} as const;

/** Props of {@link Slo}. */
export interface SloProps {
  /** The stage's metrics (the hot path's EMF and the functions' counts). */
  metrics: StageMetrics;
  sources: Sources;
  lake: Lake;
  /** The hot path's flush interval, seconds (0: every batch writes). */
  flushIntervalSeconds: number;
  /** Makes each alarm the way every alarm of the stage is made (name, severity, runbook, topic). */
  alarm: AlarmFactory;
}

/** The SLO alarms; {@link Slo.widgets} go on the stage's dashboard. */
export class Slo extends Construct {
  /** One row of the dashboard: the four SLIs against their objectives. */
  readonly widgets: cloudwatch.IWidget[];
  /** Error budget of the ingest API, percent of requests (100 − the objective). */
  readonly ingestErrorBudgetPercent = percent(1 - SLO_TARGETS.ingestAvailability);
  /** The time-to-visible bound, seconds. */
  readonly timeToVisibleBoundSeconds: number;

  constructor(scope: Construct, id: string, props: SloProps) {
    super(scope, id);
    const T = SLO_TARGETS;
    const availability = percent(T.ingestAvailability);
    const dataLoss = percent(T.dataLossRatio);
    const stage = props.sources.api.deploymentStage;
    const errorPercent = new cloudwatch.MathExpression({
      expression: `IF(requests >= ${SLO_ALARMS.ingestMinRequestsPerHour}, 100 * errors / requests, 0)`,
      usingMetrics: {
        errors: stage.metricServerError({ statistic: 'Sum', period: ONE_HOUR }),
        requests: stage.metricCount({ statistic: 'Sum', period: ONE_HOUR }),
      },
      label: '5XX, % of requests',
      period: ONE_HOUR,
    });
    const latency = stage.metricLatency({ statistic: 'p95', period: FIVE_MINUTES });
    const loss = this.dataLoss(props);
    this.timeToVisibleBoundSeconds = freshnessBoundMs(props.flushIntervalSeconds) / 1000;
    const margin = T.freshnessMarginMs / 1000;
    // At least two flushes of every shard a period.
    const period = Duration.minutes(Math.max(5, Math.ceil((2 * props.flushIntervalSeconds) / 60)));
    const timeToVisible = (statistic: string) => props.metrics.emf(HOT_PATH_EMF.timeToVisible, statistic, period);

    // No requests, no events, no flushes: nothing to judge (missing data is not breaching).
    addAlarms(props.alarm, [
      {
        anchor: 'ingest-availability',
        summary: `Ingest API: over ${this.ingestErrorBudgetPercent} % of requests answered 5XX in the last hour (objective ${availability} %).`,
        metric: errorPercent,
        threshold: this.ingestErrorBudgetPercent,
      },
      {
        anchor: 'ingest-latency',
        summary: `Ingest API: p95 latency above ${T.ingestP95Ms} ms for 15 minutes.`,
        metric: latency,
        threshold: T.ingestP95Ms,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
      },
      {
        anchor: 'data-loss',
        summary: `Over ${dataLoss} % of the events the sources produced in the hour before last are missing from the windows or the lake.`,
        metric: loss.percent,
        threshold: dataLoss,
      },
      {
        anchor: 'time-to-visible',
        summary: `Hot path: p95 from stream arrival to visible windows above ${this.timeToVisibleBoundSeconds} s (flush interval + ${margin} s) for ${3 * period.toMinutes()} minutes.`,
        metric: timeToVisible('p95'),
        threshold: this.timeToVisibleBoundSeconds * 1000,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
      },
    ]);

    const graph = (p: cloudwatch.GraphWidgetProps) => new cloudwatch.GraphWidget({ width: 6, height: 6, ...p });
    const objective = (label: string, value: number): cloudwatch.HorizontalAnnotation => ({
      label: `objective: ${label}`,
      value,
      color: cloudwatch.Color.RED,
    });
    const seconds = (stat: string, label: string, id: string) =>
      new cloudwatch.MathExpression({
        expression: `${id} / 1000`,
        usingMetrics: { [id]: timeToVisible(stat) },
        label,
        period,
      });
    this.widgets = [
      graph({
        title: SLO_WIDGET_TITLES.sloAvailability,
        left: [
          new cloudwatch.MathExpression({
            expression: '100 - 100 * errors / requests',
            usingMetrics: errorPercent.usingMetrics,
            label: 'without 5XX, %',
            period: ONE_HOUR,
          }),
        ],
        leftAnnotations: [objective(`${availability} %`, availability)],
      }),
      graph({
        title: SLO_WIDGET_TITLES.sloLatency,
        left: [latency.with({ label: 'latency p95, ms' })],
        leftAnnotations: [objective(`${T.ingestP95Ms} ms`, T.ingestP95Ms)],
      }),
      graph({
        title: SLO_WIDGET_TITLES.sloDataLoss,
        left: [loss.percent],
        right: [loss.produced, loss.hotPath, loss.lake],
        leftAnnotations: [objective(`${dataLoss} %`, dataLoss)],
      }),
      graph({
        title: SLO_WIDGET_TITLES.sloTimeToVisible,
        left: [seconds('p95', 'p95', 'p95ms'), seconds('Maximum', 'max', 'maxms')],
        leftAnnotations: [objective(`${this.timeToVisibleBoundSeconds} s`, this.timeToVisibleBoundSeconds)],
      }),
    ];
  }

  /** The data-loss SLI over a sliding hour, and its three counts. */
  private dataLoss(props: SloProps): {
    percent: cloudwatch.MathExpression;
    produced: cloudwatch.MathExpression;
    hotPath: cloudwatch.MathExpression;
    lake: cloudwatch.MathExpression;
  } {
    const count = (metricName: string, service: string, fn: lambda.IFunction) =>
      props.metrics.count(service, fn, metricName, ONE_HOUR);
    const s = props.sources;
    const sources: [string, lambda.IFunction][] = [
      [SOURCE_SERVICES.collector, s.collector],
      [SOURCE_SERVICES.ingest, s.ingest],
      [SOURCE_SERVICES.fileDrop, s.fileDrop],
      [SOURCE_SERVICES.otlp, s.otlp.fn],
    ];
    const transforms = EVENT_TYPES.flatMap((type) => {
      const fn = props.lake.transforms.get(type);
      return fn ? [fn] : [];
    });
    // SUM of an array counts a period where only some functions have data.
    const produced = new cloudwatch.MathExpression({
      expression: `SUM([${sources.map((_, i) => `p${i}`).join(', ')}])`,
      usingMetrics: Object.fromEntries(
        sources.map(([service, fn], i) => [`p${i}`, count(SLO_EMF.produced, service, fn)]),
      ),
      label: 'produced (sources)',
      period: ONE_HOUR,
    });
    // FILL: a side with no data at all has counted nothing (a stopped hot path is a loss).
    const hotPath = new cloudwatch.MathExpression({
      expression: 'FILL(w, 0)',
      usingMetrics: { w: count(SLO_EMF.hotPath, HOT_PATH_EMF.service, props.metrics.functions.hotPath.fn) },
      label: 'hot path',
      period: ONE_HOUR,
    });
    const lake = new cloudwatch.MathExpression({
      expression: `FILL(SUM([${transforms.map((_, i) => `l${i}`).join(', ')}]), 0)`,
      usingMetrics: Object.fromEntries(
        transforms.map((fn, i) => [`l${i}`, count(SLO_EMF.lake, LAKE_TRANSFORM_SERVICE, fn)]),
      ),
      label: 'lake rows',
      period: ONE_HOUR,
    });
    const missing = (expression: string, label: string) =>
      new cloudwatch.MathExpression({
        expression,
        usingMetrics: { produced, windowed: hotPath, rows: lake },
        label,
        period: ONE_HOUR,
      });
    // MAX of an array: per period, the larger of the two shortfalls.
    const percent = new cloudwatch.MathExpression({
      expression: '100 * MAX([notWindowed, notInLake]) / produced',
      usingMetrics: {
        produced,
        notWindowed: missing('produced - windowed', 'not windowed'),
        notInLake: missing('produced - rows', 'not in the lake'),
      },
      label: 'lost, % of produced',
      period: ONE_HOUR,
    });
    return { percent, produced, hotPath, lake };
  }
}
