import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { configOf, type PulseSettings } from '#infra/config.js';
import { PulseStack } from '#infra/pulse-stack.js';

function synth(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PulseStack(app, 'Test', { settings: context as PulseSettings });
  return Template.fromStack(stack);
}

describe('event stream', () => {
  it('is KMS-encrypted with a rotating customer-managed key and keeps 168 hours', () => {
    // Act
    const t = synth();
    // Assess
    t.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'pulse-dev-events',
      RetentionPeriodHours: 168,
      StreamEncryption: {
        EncryptionType: 'KMS',
        KeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsKey'), 'Arn'] },
      },
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
    });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    // Kept on delete and update; a failed first create does not leave the named stream behind.
    t.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'RetainExceptOnCreate' });
  });

  it('is provisioned with the configured shard count when asked', () => {
    // Act
    const t = synth({ streamMode: 'provisioned', shardCount: '4', stage: 'prod' });
    // Assess
    t.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'pulse-prod-events',
      ShardCount: 4,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
  });

  it('on demand sets no shard count', () => {
    const props = synth().findResources('AWS::Kinesis::Stream');
    expect(Object.values(props).map((r) => (r as { Properties: object }).Properties)).toEqual([
      expect.not.objectContaining({ ShardCount: expect.anything() }),
    ]);
  });
});

describe('config validation', () => {
  it.each([
    [{ streamMode: 'fast' }, `context 'streamMode' must be 'on-demand' or 'provisioned', got "fast"`],
    [{ streamMode: 'provisioned', shardCount: '0' }, `context 'shardCount' must be an integer from 1 to 500, got "0"`],
    [{ shardCount: 3 }, "context 'shardCount' applies only with streamMode 'provisioned': remove it or set streamMode"],
    [{ retentionHours: '12' }, `context 'retentionHours' must be an integer from 24 to 8760, got "12"`],
    [
      { stage: 'Prod' },
      `context 'stage' must match /^[a-z][a-z0-9-]{0,19}$/ (lower-case letters, digits, dashes), got "Prod"`,
    ],
  ])('rejects %j', (context, message) => {
    expect(() => configOf(context as PulseSettings)).toThrow(message);
  });
});
