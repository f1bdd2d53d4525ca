import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STAGE_DEFAULTS } from '#core/cost/stage.js';
import { synthTemplate } from '#test/helpers/synth.js';

/** A resource of a template, as the assertions library returns it. */
interface Resource {
  Properties: Record<string, unknown>;
}

const S = STAGE_DEFAULTS;

/** What `pulse cost` assumes of a stage (core/cost/stage.ts) is what `cdk deploy` makes. */
describe('the cost model prices the stage the CDK app deploys', () => {
  let t: Template;
  // Prepare
  beforeAll(() => {
    t = synthTemplate();
  });

  it('counts every standard alarm and the metrics each reads', () => {
    // Act: metrics an alarm bills: its MetricName, or each MetricStat of its math; the
    // Metrics Insights alarm of listed hosts is priced per host instead
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((r) => {
      const p = (r as Resource).Properties;
      const metrics = (p.Metrics ?? []) as { MetricStat?: unknown; Expression?: unknown }[];
      return {
        name: String(p.AlarmName).replace(/^pulse-dev-/, ''),
        metrics: p.MetricName ? 1 : metrics.filter((m) => m.MetricStat).length,
        // A Metrics Insights query (a string, or joined with the function's name)
        insights: metrics.some((m) => JSON.stringify(m.Expression ?? '').includes('SELECT ')),
      };
    });

    // Assess
    const standard = alarms.filter((a) => !a.insights).map(({ name, metrics }) => ({ name, metrics }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(standard.sort(byName)).toEqual([...S.alarms].sort(byName));
  });

  it('counts the customer-managed keys and the dashboards', () => {
    // Act / Assess
    expect(Object.keys(t.findResources('AWS::KMS::Key'))).toHaveLength(S.customerManagedKeys);
    expect(Object.keys(t.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(S.dashboards);
  });

  it('reads the stream mode and retention, and counts its readers', () => {
    // Act / Assess: the hot path's mapping and one delivery stream per event type read it all
    t.hasResourceProperties('AWS::Kinesis::Stream', {
      RetentionPeriodHours: S.retentionHours,
      StreamModeDetails: { StreamMode: S.streamMode === 'on-demand' ? 'ON_DEMAND' : 'PROVISIONED' },
    });
    // (the file drop's mapping reads its queue, not the stream)
    const mappings = Object.keys(
      t.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsStream'), 'Arn'] } },
      }),
    );
    const deliveries = Object.keys(t.findResources('AWS::KinesisFirehose::DeliveryStream'));
    expect(deliveries).toHaveLength(S.deliveryStreams);
    expect(mappings.length + deliveries.length).toBe(S.streamReaders);
  });

  it('reads the hot path mapping and its memory', () => {
    // Act / Assess
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: S.batchSize,
      MaximumBatchingWindowInSeconds: S.maxBatchingWindowSeconds,
      TumblingWindowInSeconds: S.flushIntervalSeconds,
      ParallelizationFactor: 1,
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Pulse hot path'),
      MemorySize: S.hotPathMemoryMb,
    });
  });

  it('reads the delivery streams: buffers, the transform buffer, conversion and partitioning', () => {
    // Act / Assess
    t.resourcePropertiesCountIs(
      'AWS::KinesisFirehose::DeliveryStream',
      {
        DeliveryStreamType: 'KinesisStreamAsSource',
        ExtendedS3DestinationConfiguration: Match.objectLike({
          BufferingHints: { IntervalInSeconds: S.bufferIntervalSeconds, SizeInMBs: S.bufferSizeMb },
          DynamicPartitioningConfiguration: Match.objectLike({ Enabled: true }),
          DataFormatConversionConfiguration: Match.objectLike({ Enabled: true }),
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [
              {
                Type: 'Lambda',
                Parameters: Match.arrayWith([
                  { ParameterName: 'BufferSizeInMBs', ParameterValue: String(S.transformBufferMb) },
                  { ParameterName: 'BufferIntervalInSeconds', ParameterValue: String(S.transformBufferSeconds) },
                ]),
              },
            ],
          },
        }),
      },
      S.deliveryStreams,
    );
    t.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Description: Match.stringLikeRegexp('^Pulse lake transform'), MemorySize: S.transformMemoryMb },
      S.deliveryStreams,
    );
  });

  it('reads the window table, the workgroup cutoff, the workflow and the sources', () => {
    // Act / Assess
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'pulse-dev-windows',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: S.pitr },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    expect(Object.keys(t.findResources('AWS::DynamoDB::GlobalTable'))).toHaveLength(0);
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'pulse-dev-windows',
      GlobalSecondaryIndexes: Match.absent(),
    });
    t.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: S.bytesScannedCutoffGb * 1024 ** 3 }),
    });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(15 1 * * ? *)' });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${S.collectorIntervalSeconds / 60} minutes)`,
    });
    const definition = JSON.stringify(
      (Object.values(t.findResources('AWS::StepFunctions::StateMachine'))[0] as Resource).Properties.DefinitionString,
    );
    const successPath = ['View0', 'View1', 'View2', 'View3', 'View4', 'GoldRowCounts', 'ReadRowCounts'];
    for (const state of [...successPath, 'AnyRollupEmpty', 'Done']) expect(definition).toContain(`\\"${state}\\":{`);
    expect(definition).not.toContain('\\"View5\\"');
    expect(successPath.length + 2).toBe(S.goldTransitions);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Pulse scheduled collector'),
      MemorySize: S.collectorMemoryMb,
    });
  });

  it('traces every function when the model prices X-Ray', () => {
    // Act
    const functions = Object.values(t.findResources('AWS::Lambda::Function')).map((r) => (r as Resource).Properties);

    // Assess: the pipeline's own functions (CDK's helper functions have no Pulse description)
    const pulse = functions.filter((p) => String(p.Description ?? '').startsWith('Pulse'));
    expect(pulse.length).toBeGreaterThanOrEqual(6);
    for (const p of pulse)
      expect(p.TracingConfig, String(p.Description)).toEqual({ Mode: S.tracing ? 'Active' : 'PassThrough' });
  });
});
