import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { configOf } from '#infra/config.js';
import { nagFindings, pulseApp, synthTemplate } from '#test/helpers/synth.js';

describe('enhanced fan-out consumers', () => {
  it('registers none by default: the hot path reads the stream with shared throughput', () => {
    const t = synthTemplate();
    t.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsStream'), 'Arn'] },
    });
  });

  it('gives the hot path its own consumer when asked, mapped with the same settings and granted to read it', () => {
    const t = synthTemplate({ hotPathFanOut: 'true' });
    t.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
      ConsumerName: 'pulse-dev-hot-path',
      StreamARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsStream'), 'Arn'] },
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ConsumersHotPath'), 'ConsumerARN'] },
      BatchSize: 1000,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      ParallelizationFactor: 1,
    });
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('kinesis:SubscribeToShard');
  });

  it('registers named consumers for external subscribers, each with a policy of exactly what it needs', () => {
    const t = synthTemplate({ streamConsumers: 'analytics, siem' });
    for (const name of ['analytics', 'siem']) {
      t.hasResourceProperties('AWS::Kinesis::StreamConsumer', { ConsumerName: `pulse-dev-${name}` });
      t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        Description: `Read the Pulse dev stream through enhanced fan-out consumer ${name}`,
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^ConsumersConsumer${name}`), 'ConsumerARN'] },
            },
            {
              Effect: 'Allow',
              Action: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards'],
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsStream'), 'Arn'] },
            },
            {
              Effect: 'Allow',
              Action: 'kms:Decrypt',
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsKey'), 'Arn'] },
            },
          ],
        },
      });
    }
    expect(Object.keys(t.findOutputs('*')).filter((k) => k.startsWith('ConsumersConsumer'))).toHaveLength(4);
  });

  it('passes cdk-nag with every consumer option on', () => {
    const { app } = pulseApp({
      hotPathFanOut: true,
      streamConsumers: ['analytics'],
      alarmEmail: 'ops@example.com',
      streamMode: 'provisioned',
      shardCount: 2,
    });
    expect(nagFindings(app)).toEqual([]);
  });

  it.each([
    [
      { streamConsumers: 'Analytics' },
      `context 'streamConsumers' names must be 1-32 lower-case letters, digits or dashes, starting with a letter, and not 'hot-path', got "Analytics"`,
    ],
    [
      { streamConsumers: 'hot-path' },
      `context 'streamConsumers' names must be 1-32 lower-case letters, digits or dashes, starting with a letter, and not 'hot-path', got "hot-path"`,
    ],
    [{ streamConsumers: 'a,a' }, "context 'streamConsumers' lists a name twice"],
    [
      { hotPathFanOut: 'true', streamConsumers: Array.from({ length: 20 }, (_, i) => `c${i}`) },
      "context 'streamConsumers' lists 20 consumers: a stream holds 20 enhanced fan-out consumers",
    ],
    [{ hotPathFanOut: 'yes' }, `context 'hotPathFanOut' must be true or false, got "yes"`],
  ])('refuses %j', (settings, message) => {
    expect(() => configOf(settings)).toThrow(message);
  });
});
