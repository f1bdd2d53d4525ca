/**
 * Security of the stack: cdk-nag's AwsSolutions and Serverless packs (as infra/app.ts runs
 * them at synth) find nothing unacknowledged; every acknowledgement names its rule, says
 * why, and is needed; and the hardening they ask for is in the template.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NAG_REASONS } from '#infra/defaults.js';
import { type Acknowledgement, acknowledgements, nagFindings, nagPacks, pulseApp } from '#test/helpers/synth.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
};

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
const ruleOf = (id: string) => id.replace(/\[.*$/, '');
const statementsOf = (t: Template, type: string): Statement[] =>
  Object.values(t.findResources(type)).flatMap(
    (r) => ((r as Resource).Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );

/** Actions that support no resource-level permissions, the only ones a policy may grant on "*". */
const RESOURCELESS_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // Step Functions' CloudWatch Logs delivery (CDK adds them with logging on).
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  // CDK's bucket-notifications custom resource.
  's3:PutBucketNotification',
]);

/** An acknowledgement names its rule first, then says why in a sentence. */
function expectReasonNamesRule(a: Acknowledgement): void {
  expect(a.id, a.path).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
  expect(a.reason, `${a.path} ${a.id}`).toMatch(new RegExp(`^${ruleOf(a.id)}: \\S.{40,}`));
}

describe('cdk-nag (AwsSolutions and Serverless packs)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reports no unacknowledged finding, error or warning, on the stack', () => {
    expect(nagFindings(pulseApp().app)).toEqual([]);
  });

  it('reports none either with the optional resources (provisioned stream, alarm e-mail)', () => {
    const { app } = pulseApp({
      stage: 'prod',
      streamMode: 'provisioned',
      shardCount: '2',
      alarmEmail: 'ops@example.com',
    });
    expect(nagFindings(app)).toEqual([]);
  });

  it('lets the stack synthesize with both packs registered as infra/app.ts does', () => {
    const { app } = pulseApp();
    Validations.of(app).addPlugins(...nagPacks());
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding: a bucket without encryption policy, TLS or access logs in a scratch stack', () => {
    const app = new App();
    Validations.of(app).addPlugins(...nagPacks());
    new s3.Bucket(new Stack(app, 'Scratch'), 'Open');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1[\s\S]*Scratch\/Open|Scratch\/Open[\s\S]*AwsSolutions-S1/);

    const findings = nagFindings(pulseAppWith((stack) => new s3.Bucket(stack, 'Open')));
    expect(findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
    expect(new Set(findings.map((f) => f.path))).toEqual(new Set(['Test/Open/Resource']));
  });

  it('acknowledges each finding with a reason that names its rule and says why', () => {
    const acks = acknowledgements(pulseApp().app);
    expect(acks.length).toBeGreaterThan(10);
    for (const a of acks) expectReasonNamesRule(a);
    for (const [key, reason] of Object.entries(NAG_REASONS))
      expect(reason, key).toMatch(/^(AwsSolutions|Serverless)-\w+: /);
  });

  it('acknowledges with reasons that name their rule with the optional resources too', () => {
    const { app } = pulseApp({ streamMode: 'provisioned', shardCount: '2', alarmEmail: 'ops@example.com' });
    for (const a of acknowledgements(app)) expectReasonNamesRule(a);
  });

  it('needs every acknowledgement: without them, exactly the acknowledged findings appear', () => {
    // Record the acknowledgements instead of applying them.
    const recorded: { path: string; id: string }[] = [];
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
      this: Validations,
      ...rules: { id: string }[]
    ) {
      const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
      for (const r of rules) recorded.push({ path: scope.node.path, id: r.id });
    });
    const raw = nagFindings(pulseApp().app);
    const covers = (a: { path: string; id: string }, f: { rule: string; path: string }) =>
      f.rule === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`));
    for (const a of recorded)
      expect(
        raw.filter((f) => covers(a, f)),
        `${a.path} ${a.id}`,
      ).not.toEqual([]);
    expect(raw.filter((f) => !recorded.some((a) => covers(a, f)))).toEqual([]);
    // Removing one acknowledgement brings its finding back.
    expect(raw).toContainEqual(
      expect.objectContaining({ rule: 'AwsSolutions-KDF1', path: 'Test/Default/Lake/MetricSampleDelivery' }),
    );
  });
});

/** The Pulse app with `extra` added to its stack. */
function pulseAppWith(extra: (stack: Stack) => void): App {
  const { app, stack } = pulseApp();
  extra(stack);
  return app;
}

describe('hardening', () => {
  const t = Template.fromStack(pulseApp().stack);
  const buckets = t.findResources('AWS::S3::Bucket');

  it('logs server access of every bucket to the access-logs bucket, each under its own prefix', () => {
    const logs = Object.keys(buckets).filter((id) => id.startsWith('AccessLogsBucket'));
    expect(logs).toHaveLength(1);
    const others = Object.entries(buckets).filter(([id]) => id !== logs[0]);
    expect(others.length).toBeGreaterThanOrEqual(4);
    const prefixes = others.map(([id, r]) => {
      const logging = (r as Resource).Properties.LoggingConfiguration as {
        DestinationBucketName: unknown;
        LogFilePrefix: string;
      };
      expect(logging?.DestinationBucketName, id).toEqual({ Ref: logs[0] });
      return logging.LogFilePrefix;
    });
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it('keeps access logs encrypted, private, TLS-only and expiring, delivered by bucket policy (no ACL) per source bucket', () => {
    const [id, bucket] = Object.entries(buckets).find(([k]) => k.startsWith('AccessLogsBucket')) as [string, Resource];
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' })] },
    });
    expect(bucket.Properties.AccessControl).toBeUndefined();
    expect(bucket.Properties.LoggingConfiguration).toBeUndefined();
    const policy = Object.values(t.findResources('AWS::S3::BucketPolicy')).find(
      (p) => JSON.stringify((p as Resource).Properties.Bucket) === JSON.stringify({ Ref: id }),
    ) as Resource;
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const delivery = statements.filter((s) => JSON.stringify(s.Principal).includes('logging.s3.amazonaws.com'));
    expect(delivery).toHaveLength(Object.keys(buckets).length - 1);
    for (const s of delivery) {
      expect(s.Action).toBe('s3:PutObject');
      expect(s.Condition).toMatchObject({ ArnLike: { 'aws:SourceArn': expect.anything() } });
    }
  });

  it('makes every bucket TLS-only and private', () => {
    const policies = Object.values(t.findResources('AWS::S3::BucketPolicy')).map((p) => (p as Resource).Properties);
    for (const [id, r] of Object.entries(buckets)) {
      expect((r as Resource).Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const policy = policies.find((p) => JSON.stringify(p.Bucket) === JSON.stringify({ Ref: id }));
      expect(JSON.stringify(policy?.PolicyDocument), id).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('encrypts every SNS topic with KMS and refuses it over plain HTTP', () => {
    const topics = t.findResources('AWS::SNS::Topic');
    expect(Object.keys(topics).length).toBeGreaterThanOrEqual(1);
    const policies = Object.values(t.findResources('AWS::SNS::TopicPolicy')).map((p) => (p as Resource).Properties);
    for (const [id, r] of Object.entries(topics)) {
      expect((r as Resource).Properties.KmsMasterKeyId, id).toBeDefined();
      const policy = policies.find((p) => JSON.stringify(p.Topics).includes(`"${id}"`));
      expect(JSON.stringify(policy?.PolicyDocument), id).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('encrypts the dead-letter queue (SSE-SQS) and refuses it over plain HTTP', () => {
    t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^DeadLetters') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('grants no wildcard action in any policy, and "*" resources only to actions that take no other', () => {
    const statements = statementsOf(t, 'AWS::IAM::Policy').filter((s) => s.Effect === 'Allow');
    expect(statements.flatMap((s) => list(s.Action)).filter((a) => a.includes('*'))).toEqual([]);
    const onStar = statements.filter((s) => list(s.Resource).includes('*')).flatMap((s) => list(s.Action));
    expect(onStar.filter((a) => !RESOURCELESS_ACTIONS.has(a))).toEqual([]);
  });

  it('gives our roles no AWS managed policy (only the CDK-owned API Gateway and notifications roles have one)', () => {
    const withManaged = Object.entries(t.findResources('AWS::IAM::Role'))
      .filter(([, r]) => (r as Resource).Properties.ManagedPolicyArns !== undefined)
      .map(([id]) => id);
    expect(
      withManaged.filter((id) => !/^(SourcesIngestApiCloudWatchRole|BucketNotificationsHandler)/.test(id)),
    ).toEqual([]);
  });

  it('gives every log group a retention', () => {
    for (const [id, r] of Object.entries(t.findResources('AWS::Logs::LogGroup'))) {
      expect((r as Resource).Properties.RetentionInDays, id).toBeGreaterThan(0);
    }
  });
});
