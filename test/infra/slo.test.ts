import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SLO_WIDGET_TITLES } from '#infra/constructs/observability/slo.js';
import { dashboardWidgets, emfDimensionsOf, expectAlarm, expression, ids, stat } from '#test/helpers/cloudwatch.js';
import { synthTemplate } from '#test/helpers/synth.js';

const api = [
  { Name: 'ApiName', Value: 'pulse-dev-ingest' },
  { Name: 'Stage', Value: { Ref: Match.stringLikeRegexp('^SourcesIngestApiDeploymentStagedev') } },
];

describe('SLO alarms', () => {
  const t = synthTemplate();

  it('ingest availability: over 0.1 % of an hour’s requests answered 5XX, hours under 100 requests excepted (4XX, 429 included, do not count)', () => {
    expectAlarm(t, 'ingest-availability', 'ingest-availability', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression: 'IF(requests >= 100, 100 * errors / requests, 0)',
          ReturnData: true,
        }),
        stat('errors', 'AWS/ApiGateway', '5XXError', api, 'Sum', 3_600),
        stat('requests', 'AWS/ApiGateway', 'Count', api, 'Sum', 3_600),
      ]),
      Threshold: 0.1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(t.findResources('AWS::CloudWatch::Alarm'))).not.toContain('4XXError');
  });

  it('ingest latency: p95 above 500 ms in 3 consecutive 5-minute periods', () => {
    expectAlarm(t, 'ingest-latency', 'ingest-latency', {
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: api,
      ExtendedStatistic: 'p95',
      Period: 300,
      Threshold: 500,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('data loss: max(produced − hot path, produced − lake rows) / produced over an hour above 0.01 %, each count by its own functions', () => {
    const hour = 3_600;
    expectAlarm(t, 'data-loss', 'data-loss', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: '100 * MAX([notWindowed, notInLake]) / produced', ReturnData: true }),
        expression('produced', 'SUM([p0, p1, p2, p3])'),
        stat('p0', 'Pulse', 'SloProduced', emfDimensionsOf(ids.collector, 'collector'), 'Sum', hour),
        stat('p1', 'Pulse', 'SloProduced', emfDimensionsOf(ids.ingest, 'ingest-api'), 'Sum', hour),
        stat('p2', 'Pulse', 'SloProduced', emfDimensionsOf(ids.fileDrop, 'file-drop'), 'Sum', hour),
        stat('p3', 'Pulse', 'SloProduced', emfDimensionsOf(ids.otlp, 'otlp'), 'Sum', hour),
        expression('notWindowed', 'produced - windowed'),
        expression('windowed', 'FILL(w, 0)'),
        stat('w', 'Pulse', 'SloHotPath', emfDimensionsOf(ids.hotPath, 'hot-path'), 'Sum', hour),
        expression('rows', 'FILL(SUM([l0, l1]), 0)'),
        stat('l0', 'Pulse', 'SloLake', emfDimensionsOf(ids.metricTransform, 'firehose-transform'), 'Sum', hour),
        stat('l1', 'Pulse', 'SloLake', emfDimensionsOf(ids.logTransform, 'firehose-transform'), 'Sum', hour),
        expression('notInLake', 'produced - rows'),
      ]),
      Threshold: 0.01,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it.each([
    [undefined, 120, 300],
    ['0', 60, 300],
    ['300', 360, 600],
    ['900', 960, 1_800],
  ])(
    'time to visible: p95 above flushIntervalSeconds (%s) + 60 s = %i s in 3 consecutive %i-second periods',
    (flush, boundSeconds, period) => {
      const template = flush === undefined ? t : synthTemplate({ flushIntervalSeconds: flush });
      expectAlarm(template, 'time-to-visible', 'time-to-visible', {
        Namespace: 'Pulse',
        MetricName: 'TimeToVisible',
        Dimensions: emfDimensionsOf(ids.hotPath, 'hot-path'),
        ExtendedStatistic: 'p95',
        Period: period,
        Threshold: boundSeconds * 1_000,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    },
  );
});

describe('SLO widgets', () => {
  it('draw each SLI against its objective, in one row after the alarms', () => {
    const widgets = dashboardWidgets(synthTemplate());
    const slo = widgets.slice(2, 6);
    expect(slo.map((w) => w.properties.title)).toEqual(Object.values(SLO_WIDGET_TITLES));
    expect(
      slo.map((w) => (w.properties.annotations as { horizontal: { value: number }[] }).horizontal[0]?.value),
    ).toEqual([99.9, 500, 0.01, 120]);
  });
});
