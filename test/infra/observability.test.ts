import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { configOf, type PulseSettings } from '#infra/config.js';
import { ALARM_SEVERITIES } from '#infra/constructs/observability/alarms.js';
import { HOST_VARIABLE_PATTERN } from '#infra/constructs/observability/fleet-widgets.js';
import { LISTED_HOSTS_TITLES, WIDGET_TITLES } from '#infra/constructs/observability/widgets.js';
import { OBSERVABILITY_DEFAULTS } from '#infra/defaults.js';
import {
  dashboardParts,
  dashboardText,
  dashboardWidgets,
  emfDimensionsOf,
  expectAlarm,
  ids,
  ref,
  runbookAnchors,
  stat,
} from '#test/helpers/cloudwatch.js';
import { synthTemplate } from '#test/helpers/synth.js';

const fn = (id: string) => [{ Name: 'FunctionName', Value: ref(id) }];
const emfDimensions = emfDimensionsOf(ids.hotPath, 'hot-path');
const topic = ref(ids.topic);
const FLEET = ['cpu_utilization', 'memory_usage', 'disk_usage', 'network_in', 'network_out'];

/** Logical ids referenced in the dashboard, by the dimension (or SEARCH key) they are the value of. */
function dimensionValues(parts: unknown[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  parts.forEach((part, i) => {
    if (typeof part === 'string') return;
    const token = part as { Ref?: string };
    const before = parts[i - 1];
    const name = typeof before === 'string' ? /"(\w+)","$|(\w+)=\\"$/.exec(before) : null;
    if (!token.Ref || !name) return;
    const key = (name[1] ?? name[2]) as string;
    if (!out.has(key)) out.set(key, new Set());
    out.get(key)?.add(token.Ref);
  });
  return out;
}

const matching = (values: Set<string> | undefined, prefix: string) =>
  [...(values ?? [])].filter((v) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(v));

describe('observability: alarms', () => {
  const t = synthTemplate();

  it('alarms on the hot path error rate over 5 % in 5 minutes: errors / invocations of its function', () => {
    expectAlarm(t, 'hot-path-error-rate', 'hot-path-error-rate', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: '100 * errors / invocations', ReturnData: true }),
        stat('errors', 'AWS/Lambda', 'Errors', fn(ids.hotPath), 'Sum'),
        stat('invocations', 'AWS/Lambda', 'Invocations', fn(ids.hotPath), 'Sum'),
      ]),
      Threshold: 5,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it.each([
    ['collector', ids.collector],
    ['ingest', ids.ingest],
    ['file-drop', ids.fileDrop],
  ])('alarms on the %s error rate with its function name', (name, id) => {
    expectAlarm(t, `${name}-error-rate`, 'source-error-rate', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: '100 * errors / invocations' }),
        stat('errors', 'AWS/Lambda', 'Errors', fn(id), 'Sum'),
        stat('invocations', 'AWS/Lambda', 'Invocations', fn(id), 'Sum'),
      ]),
      Threshold: 5,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it.each([
    ['hot-path', ids.hotPath, 48_000],
    ['collector', ids.collector, 48_000],
    ['ingest', ids.ingest, 23_200],
    ['file-drop', ids.fileDrop, 720_000],
  ])('alarms when the %s p99 duration exceeds 80 %% of its timeout (%d ms)', (name, id, threshold) => {
    expectAlarm(t, `${name}-duration`, 'function-duration', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Dimensions: fn(id),
      ExtendedStatistic: 'p99',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('takes the hot path duration bound from its configured timeout', () => {
    expectAlarm(synthTemplate({ timeoutSeconds: '100' }), 'hot-path-duration', 'function-duration', {
      Dimensions: fn(ids.hotPath),
      Threshold: 80_000,
    });
  });

  it('alarms on the hot path iterator age (Lambda) and the stream iterator age (Kinesis) above the bound', () => {
    expectAlarm(t, 'hot-path-iterator-age', 'hot-path-iterator-age', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: fn(ids.hotPath),
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expectAlarm(t, 'stream-iterator-age', 'stream-iterator-age', {
      Namespace: 'AWS/Kinesis',
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Dimensions: [{ Name: 'StreamName', Value: ref(ids.stream) }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expectAlarm(synthTemplate({ iteratorAgeAlarmSeconds: '120' }), 'hot-path-iterator-age', 'hot-path-iterator-age', {
      Threshold: 120_000,
    });
  });

  it('alarms on over 10 throttled requests of the window table in 5 minutes', () => {
    const table = [{ Name: 'TableName', Value: ref(ids.table) }];
    expectAlarm(t, 'window-table-throttles', 'window-table-throttles', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'SUM([reads, writes])', ReturnData: true }),
        stat('reads', 'AWS/DynamoDB', 'ReadThrottleEvents', table, 'Sum'),
        stat('writes', 'AWS/DynamoDB', 'WriteThrottleEvents', table, 'Sum'),
      ]),
      Threshold: 10,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on any object written to the on-failure bucket (request metrics enabled on it)', () => {
    t.hasResourceProperties('AWS::S3::Bucket', { MetricsConfigurations: [{ Id: 'failed-batches' }] });
    expectAlarm(t, 'failed-batches', 'failed-batches', {
      Namespace: 'AWS/S3',
      MetricName: 'PutRequests',
      Dimensions: [
        { Name: 'BucketName', Value: ref(ids.failureBucket) },
        { Name: 'FilterId', Value: 'failed-batches' },
      ],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it.each([
    ['metric-samples', ids.metricDelivery],
    ['log-events', ids.logDelivery],
  ])('alarms when the %s delivery stream data freshness exceeds 900 s', (table, id) => {
    expectAlarm(t, `lake-freshness-${table}`, 'lake-freshness', {
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToS3.DataFreshness',
      Dimensions: [{ Name: 'DeliveryStreamName', Value: ref(id) }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it.each([
    ['metric-samples', ids.metricDelivery],
    ['log-events', ids.logDelivery],
  ])('alarms on any %s record failing Parquet conversion or the transform', (table, id) => {
    const dimensions = [{ Name: 'DeliveryStreamName', Value: ref(id) }];
    expectAlarm(t, `lake-conversion-failures-${table}`, 'lake-failures', {
      Namespace: 'AWS/Firehose',
      MetricName: 'FailedConversion.Records',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expectAlarm(t, `lake-transform-failures-${table}`, 'lake-failures', {
      Namespace: 'AWS/Firehose',
      MetricName: 'ExecuteProcessing.Success',
      Dimensions: dimensions,
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
    });
  });

  it('alarms on a message in the DeadLetters queue and on a failed gold workflow', () => {
    expectAlarm(t, 'dead-letters', 'dead-letters', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLetters'), 'QueueName'] } },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expectAlarm(t, 'gold-workflow-failed', 'gold-workflow-failed', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: Match.stringLikeRegexp('^AnalyticsGoldWorkflow') } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms [P2] on a notification in the file drop dead-letter queue, and on rejected rows over the hourly bound', () => {
    expectAlarm(t, 'file-drop-dead-letters', 'file-drop-dead-letters', {
      AlarmDescription: Match.stringLikeRegexp('^\\[P2\\] A dropped file failed 3 receives'),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SourcesFileDropDeadLetters'), 'QueueName'] },
        },
      ],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 0,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expectAlarm(t, 'file-drop-rows-rejected', 'file-drop-rows-rejected', {
      AlarmDescription: Match.stringLikeRegexp('^\\[P2\\] More than 1000 rows of dropped files rejected in an hour'),
      Namespace: 'Pulse',
      MetricName: 'RowsRejected',
      Dimensions: emfDimensionsOf(ids.fileDrop, 'file-drop'),
      Statistic: 'Sum',
      Period: 3_600,
      Threshold: 1_000,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expectAlarm(
      synthTemplate({ rejectedRowsAlarmPerHour: '50' }),
      'file-drop-rows-rejected',
      'file-drop-rows-rejected',
      {
        Threshold: 50,
      },
    );
    expect(() => configOf({ rejectedRowsAlarmPerHour: '-1' } as PulseSettings)).toThrow(
      `context 'rejectedRowsAlarmPerHour' must be an integer from 0 to 100000000, got "-1"`,
    );
  });

  it('never sets the freshness bound below the Firehose buffer interval plus its margin', () => {
    expectAlarm(synthTemplate({ bufferIntervalSeconds: '900' }), 'lake-freshness-metric-samples', 'lake-freshness', {
      Threshold: 1_200,
    });
  });

  it('alarms on quarantined and late events above their settings, on the hot path EMF metrics of this function', () => {
    expectAlarm(t, 'quarantined-events', 'quarantined-events', {
      Namespace: 'Pulse',
      MetricName: 'QuarantinedEvents',
      Dimensions: emfDimensions,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expectAlarm(t, 'late-events', 'late-events', {
      Namespace: 'Pulse',
      MetricName: 'LateEvents',
      Dimensions: emfDimensions,
      Statistic: 'Sum',
      Period: 300,
      Threshold: 100,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const custom = synthTemplate({ quarantineAlarmPerFiveMinutes: '25', lateAlarmPerFiveMinutes: '1000' });
    expectAlarm(custom, 'quarantined-events', 'quarantined-events', { Threshold: 25 });
    expectAlarm(custom, 'late-events', 'late-events', { Threshold: 1_000 });
  });

  it("alarms when the fleet's p95 CPU across hosts exceeds 80 % for two 5-minute periods: one standard alarm, no host dimension", () => {
    expectAlarm(t, 'fleet-cpu', 'fleet-cpu', {
      Namespace: 'Pulse',
      MetricName: 'cpu_utilization',
      Dimensions: emfDimensions,
      ExtendedStatistic: 'p95',
      Period: 300,
      Threshold: 80,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    // No Metrics Insights alarm over per-host series unless hosts are listed.
    expect(
      t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'pulse-dev-listed-host-cpu' } }),
    ).toEqual({});
  });

  it('alarms on a listed host over 80 % CPU only with fleetMetricHosts: Metrics Insights grouped by host', () => {
    const listed = synthTemplate({ fleetMetricHosts: 'db-1,db-2' });
    expectAlarm(listed, 'listed-host-cpu', 'listed-host-cpu', {
      Metrics: [
        Match.objectLike({
          Expression: {
            'Fn::Join': [
              '',
              [
                `SELECT AVG(cpu_utilization) FROM SCHEMA("Pulse", function_name, host, service) WHERE function_name = '`,
                ref(ids.hotPath),
                "' GROUP BY host",
              ],
            ],
          },
          Period: 300,
          ReturnData: true,
        }),
      ],
      Threshold: 80,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    listed.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ PULSE_FLEET_METRIC_HOSTS: 'db-1,db-2', PULSE_FLEET_METRICS: 'true' }),
      },
    });
  });

  it('alarms when the lake bucket, over the storage classes of its lifecycle, exceeds the size setting', () => {
    const bucket = (type: string) => [
      { Name: 'BucketName', Value: ref(ids.lakeBucket) },
      { Name: 'StorageType', Value: type },
    ];
    expectAlarm(t, 'lake-size', 'lake-size', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'SUM([s0, s1, s2, s3, s4])', ReturnData: true }),
        stat('s0', 'AWS/S3', 'BucketSizeBytes', bucket('StandardStorage'), 'Average', 86_400),
        stat('s1', 'AWS/S3', 'BucketSizeBytes', bucket('IntelligentTieringFAStorage'), 'Average', 86_400),
        stat('s4', 'AWS/S3', 'BucketSizeBytes', bucket('GlacierInstantRetrievalStorage'), 'Average', 86_400),
      ]),
      Threshold: 1_000 * 2 ** 30,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'ignore',
    });
    expectAlarm(synthTemplate({ lakeSizeAlarmGb: '5' }), 'lake-size', 'lake-size', { Threshold: 5 * 2 ** 30 });
  });

  it('names every alarm pulse-<stage>-…, points it to a runbook section that exists, and notifies the topic', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: Record<string, unknown> }).Properties,
    );
    // 18, plus conversion and transform failures per delivery stream, dead letters, the gold workflow,
    // the file drop's dead letters and rejected rows, 4 SLOs, and the OTLP function's error rate and duration
    expect(alarms).toHaveLength(32);
    // Without fleet metrics there is no fleet CPU alarm; listed hosts add their Metrics Insights alarm.
    const count = (settings: Record<string, string>) =>
      Object.keys(synthTemplate(settings).findResources('AWS::CloudWatch::Alarm')).length;
    expect(count({ fleetMetrics: 'false' })).toBe(31);
    expect(count({ fleetMetricHosts: 'db-1' })).toBe(33);
    const anchors = runbookAnchors();
    for (const a of alarms) {
      expect(a.AlarmName).toMatch(/^pulse-dev-[a-z0-9-]+$/);
      const anchor = /Runbook: docs\/runbook\.md#([a-z0-9-]+)$/.exec(String(a.AlarmDescription))?.[1];
      expect(anchors, `${String(a.AlarmName)} → #${anchor}`).toContain(anchor);
      expect(a.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^ObservabilityAlarmTopic/) }]);
      // Its severity first, from the table (docs/runbook.md lists the same).
      expect(String(a.AlarmDescription)).toMatch(
        new RegExp(`^\\[${ALARM_SEVERITIES[anchor as keyof typeof ALARM_SEVERITIES]}\\] `),
      );
    }
    expect(
      synthTemplate({ stage: 'prod' }).findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: 'pulse-prod-hot-path-error-rate' },
      }),
    ).not.toEqual({});
  });
});

describe('observability: topic', () => {
  it('is encrypted with a rotating customer-managed key that CloudWatch may use, and refuses publishing without TLS', () => {
    const t = synthTemplate();
    t.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'pulse-dev-alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ObservabilityTopicKey'), 'Arn'] },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the Pulse alarm topic of stage dev',
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
    t.hasOutput('AlarmTopicArn', { Value: topic });
  });

  it('subscribes the alarm e-mail only when one is set', () => {
    synthTemplate().resourceCountIs('AWS::SNS::Subscription', 0);
    synthTemplate({ alarmEmail: '' }).resourceCountIs('AWS::SNS::Subscription', 0);
    const t = synthTemplate({ alarmEmail: 'ops@example.com' });
    t.resourceCountIs('AWS::SNS::Subscription', 1);
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: topic,
    });
  });
});

describe('observability: dashboard', () => {
  const t = synthTemplate();
  const parts = dashboardParts(t);
  const text = parts.filter((p): p is string => typeof p === 'string').join('');
  const dims = dimensionValues(parts);

  it('is named pulse-<stage> and is a stack output', () => {
    // Dashboards are global to the account: the region keeps two regions' stages apart.
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['pulse-dev-', { Ref: 'AWS::Region' }]] },
    });
    t.hasOutput('DashboardName', { Value: { Ref: Match.stringLikeRegexp('^ObservabilityDashboard') } });
  });

  it('has every widget', () => {
    for (const title of Object.values(WIDGET_TITLES)) expect(text).toContain(JSON.stringify(title).slice(1, -1));
  });

  it('draws metrics with the dimensions of our resources', () => {
    for (const id of [ids.hotPath, ids.collector, ids.ingest, ids.fileDrop]) {
      expect(matching(dims.get('FunctionName'), id), id).toHaveLength(1);
    }
    expect(matching(dims.get('function_name'), ids.hotPath)).toHaveLength(1);
    expect(matching(dims.get('TableName'), ids.table)).toHaveLength(1);
    expect(matching(dims.get('StreamName'), ids.stream)).toHaveLength(1);
    expect(matching(dims.get('DeliveryStreamName'), ids.metricDelivery)).toHaveLength(1);
    expect(matching(dims.get('DeliveryStreamName'), ids.logDelivery)).toHaveLength(1);
    expect(matching(dims.get('BucketName'), ids.failureBucket)).toHaveLength(1);
    expect(matching(dims.get('BucketName'), ids.lakeBucket)).toHaveLength(1);
    // Every metric widget's metrics are named by one of these; no metric without a resource dimension.
    expect([...dims.keys()].sort()).toEqual(
      ['BucketName', 'DeliveryStreamName', 'FunctionName', 'Stage', 'StreamName', 'TableName', 'function_name'].sort(),
    );
  });

  it('draws p50, p95 and max across hosts of each fleet metric, without a host dimension and without SEARCH', () => {
    const widgets = dashboardWidgets(t);
    const fleet = widgets.filter((w) => String(w.properties.title).startsWith('Fleet '));
    expect(fleet.map((w) => w.properties.title)).toEqual([
      WIDGET_TITLES.fleetCpu,
      WIDGET_TITLES.fleetMemory,
      WIDGET_TITLES.fleetDisk,
      WIDGET_TITLES.fleetNetwork,
    ]);
    const lines = fleet.flatMap((w) => w.properties.metrics as unknown[][]);
    for (const metric of FLEET) {
      const stats = lines.filter((l) => l[1] === metric).map((l) => (l[6] as { stat: string }).stat);
      expect(stats, metric).toEqual(metric.startsWith('network') ? ['p95', 'Maximum'] : ['p50', 'p95', 'Maximum']);
    }
    // Each line: namespace, metric, function_name, <the hot path>, service, hot-path: no host.
    for (const l of lines) expect(l.slice(0, 6)).toEqual(['Pulse', l[1], 'function_name', '', 'service', 'hot-path']);
    expect(text).not.toContain('SEARCH(');
    const everyLine = widgets.flatMap((w) => (w.properties.metrics as unknown[][] | undefined) ?? []);
    for (const l of everyLine) expect(l).not.toContain('host');
  });

  it('ranks the top 10 hosts and shows one host (the Host pattern variable) from the hot path log group', () => {
    const logWidgets = dashboardWidgets(t).filter((w) => w.type === 'log');
    expect(logWidgets.map((w) => [w.properties.title, w.properties.view])).toEqual([
      [WIDGET_TITLES.fleetTopHosts, 'table'],
      [WIDGET_TITLES.fleetHost, 'timeSeries'],
    ]);
    const [top, host] = logWidgets.map((w) => String(w.properties.query));
    expect(top).toContain('| filter message = "fleet host"');
    expect(top).toMatch(/stats max\(cpu_utilization\) as cpu_max.* by host\n\| sort cpu_max desc\n\| limit 10$/);
    expect(host).toContain(`| filter message = "fleet host" and host = "${HOST_VARIABLE_PATTERN}"`);
    // SOURCE '<the hot path log group>': the token right after it.
    const parts = dashboardParts(t);
    const sources = parts.flatMap((p, i) =>
      typeof p === 'string' && p.endsWith("SOURCE '") ? [(parts[i + 1] as { Ref: string }).Ref] : [],
    );
    expect(sources).toHaveLength(2);
    for (const r of sources) expect(r).toMatch(new RegExp(`^${ids.hotPathLogs}[0-9A-F]{8}$`));
    expect(text).toContain(
      `"variables":[{"pattern":"${HOST_VARIABLE_PATTERN}","type":"pattern","inputType":"input","id":"host","label":"Host"}]`,
    );
  });

  it('draws one SEARCH line per listed host (fleetMetricHosts), bounded by the list: only listed hosts publish a host dimension', () => {
    const listed = synthTemplate({ fleetMetricHosts: 'db-1,db-2' });
    const listedText = dashboardText(listed);
    for (const title of Object.values(LISTED_HOSTS_TITLES)) expect(listedText).toContain(title);
    for (const metric of ['cpu_utilization', 'memory_usage']) {
      expect(listedText).toContain(
        `SEARCH('{Pulse,function_name,host,service} MetricName=\\"${metric}\\" function_name=\\"`,
      );
    }
    for (const title of Object.values(LISTED_HOSTS_TITLES)) expect(text).not.toContain(title);
  });

  it('with fleetMetrics=false, has no fleet widgets nor fleet CPU alarm, and the hot path publishes no fleet metrics', () => {
    const off = synthTemplate({ fleetMetrics: 'false' });
    const offText = dashboardText(off);
    expect(offText).not.toContain('SEARCH(');
    expect(offText).not.toContain('cpu_utilization');
    expect(offText).not.toContain('"type":"log"');
    expect(offText).not.toContain('"variables"');
    expect(offText).toContain('fleetMetrics=false');
    expect(off.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'pulse-dev-fleet-cpu' } })).toEqual(
      {},
    );
    off.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PULSE_FLEET_METRICS: 'false',
          PULSE_FLEET_METRIC_HOSTS: '',
          PULSE_WINDOW_TABLE: Match.anyValue(),
        }),
      },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PULSE_FLEET_METRICS: 'true',
          PULSE_FLEET_METRIC_HOSTS: '',
          PULSE_WINDOW_TABLE: Match.anyValue(),
        }),
      },
    });
  });
});

describe('observability: config', () => {
  it('defaults to OBSERVABILITY_DEFAULTS, without an e-mail', () => {
    expect(configOf().observability).toEqual({
      iteratorAgeAlarmSeconds: OBSERVABILITY_DEFAULTS.iteratorAgeAlarmSeconds,
      lakeSizeAlarmGb: OBSERVABILITY_DEFAULTS.lakeSizeAlarmGb,
      quarantineAlarmPerFiveMinutes: OBSERVABILITY_DEFAULTS.quarantineAlarmPerFiveMinutes,
      lateAlarmPerFiveMinutes: OBSERVABILITY_DEFAULTS.lateAlarmPerFiveMinutes,
      rejectedRowsAlarmPerHour: OBSERVABILITY_DEFAULTS.rejectedRowsAlarmPerHour,
      fleetMetrics: true,
      fleetMetricHosts: [],
    });
  });

  it('reads context strings: numbers, booleans and a trimmed e-mail', () => {
    expect(
      configOf({
        alarmEmail: ' ops@example.com ',
        iteratorAgeAlarmSeconds: '600',
        lakeSizeAlarmGb: '50',
        quarantineAlarmPerFiveMinutes: '3',
        lateAlarmPerFiveMinutes: '0',
        rejectedRowsAlarmPerHour: '250',
        fleetMetrics: 'false',
      }).observability,
    ).toEqual({
      alarmEmail: 'ops@example.com',
      iteratorAgeAlarmSeconds: 600,
      lakeSizeAlarmGb: 50,
      quarantineAlarmPerFiveMinutes: 3,
      lateAlarmPerFiveMinutes: 0,
      rejectedRowsAlarmPerHour: 250,
      fleetMetrics: false,
      fleetMetricHosts: [],
    });
    expect(configOf({ fleetMetrics: false }).observability.fleetMetrics).toBe(false);
    expect(configOf({ fleetMetrics: 'true' }).observability.fleetMetrics).toBe(true);
    expect(configOf({ fleetMetricHosts: ' db-1 , web-02.example ' }).observability.fleetMetricHosts).toEqual([
      'db-1',
      'web-02.example',
    ]);
    expect(configOf({ fleetMetricHosts: ['db-1'] }).observability.fleetMetricHosts).toEqual(['db-1']);
    const fifty = Array.from({ length: 50 }, (_, i) => `host-${i}`);
    expect(configOf({ fleetMetricHosts: fifty.join(',') }).observability.fleetMetricHosts).toEqual(fifty);
  });

  it.each([
    [{ alarmEmail: 'ops' }, `context 'alarmEmail' must be an e-mail address such as 'ops@example.com', got "ops"`],
    [
      { alarmEmail: 'ops team@example.com' },
      `context 'alarmEmail' must be an e-mail address such as 'ops@example.com', got "ops team@example.com"`,
    ],
    [
      { alarmEmail: 'ops@example' },
      `context 'alarmEmail' must be an e-mail address such as 'ops@example.com', got "ops@example"`,
    ],
    [
      { iteratorAgeAlarmSeconds: '30' },
      `context 'iteratorAgeAlarmSeconds' must be an integer from 60 to 604800, got "30"`,
    ],
    [
      { iteratorAgeAlarmSeconds: '90000' },
      "context 'iteratorAgeAlarmSeconds' (90000) must be below maxRecordAgeSeconds (86400): records would go to the failure bucket before the alarm fires",
    ],
    [{ lakeSizeAlarmGb: '0' }, `context 'lakeSizeAlarmGb' must be an integer from 1 to 1000000, got "0"`],
    [
      { quarantineAlarmPerFiveMinutes: '-1' },
      `context 'quarantineAlarmPerFiveMinutes' must be an integer from 0 to 1000000, got "-1"`,
    ],
    [
      { lateAlarmPerFiveMinutes: '2.5' },
      `context 'lateAlarmPerFiveMinutes' must be an integer from 0 to 1000000, got "2.5"`,
    ],
    [{ fleetMetrics: 'yes' }, `context 'fleetMetrics' must be true or false, got "yes"`],
    [
      { fleetMetricHosts: Array.from({ length: 51 }, (_, i) => `host-${i}`).join(',') },
      `context 'fleetMetricHosts' lists 51 hosts: at most 50 get per-host custom metrics (5 each); the fleet widgets show every host without them`,
    ],
    [
      // 20 names of 100 characters: 2,019 with the commas
      {
        fleetMetricHosts: Array.from({ length: 20 }, (_, i) => `${'h'.repeat(97)}-${String(i).padStart(2, '0')}`).join(
          ',',
        ),
      },
      `context 'fleetMetricHosts' is 2019 characters: at most 2000 fit in the hot path's environment`,
    ],
    [
      { fleetMetricHosts: 'db-1,db 2' },
      `context 'fleetMetricHosts' names hosts of 1-128 characters without commas, spaces or '#', got "db 2"`,
    ],
    [
      { fleetMetricHosts: 'db-1,,db-2' },
      `context 'fleetMetricHosts' names hosts of 1-128 characters without commas, spaces or '#', got ""`,
    ],
    [{ fleetMetricHosts: 'db-1,db-1' }, `context 'fleetMetricHosts' lists a host twice`],
    [
      { fleetMetrics: 'false', fleetMetricHosts: 'db-1' },
      `context 'fleetMetricHosts' needs fleetMetrics=true: per-host metrics are part of the fleet metrics`,
    ],
  ])('rejects %j', (settings, message) => {
    expect(() => configOf(settings as PulseSettings)).toThrow(message);
  });
});
