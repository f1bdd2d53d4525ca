import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { configOf, type PulseSettings } from '#infra/config.js';
import { accessLogged, secureBucket, synthTemplate } from '#test/helpers/synth.js';

describe('hot-path infrastructure', () => {
  const t = synthTemplate();

  it('runs the handler on nodejs24.x, arm64, traced, with its table, stream and windowing in the environment', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      TracingConfig: { Mode: 'Active' },
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          PULSE_WINDOW_TABLE: { Ref: Match.stringLikeRegexp('^WindowsTable') },
          PULSE_STREAM_NAME: { Ref: Match.stringLikeRegexp('^EventsStream') },
          PULSE_SCHEMAS_DIR: '/var/task/schemas',
          PULSE_WINDOW_SIZES_MS: '60000,3600000',
          PULSE_ALLOWED_LATENESS_MS: '300000',
          PULSE_LOG_COUNTS_BY_HOST: 'false',
        }),
      },
    });
  });

  it('maps the stream with a 60 s tumbling window, partial batch failures, bisect, bounded retries, max record age and an S3 failure destination', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsStream'), 'Arn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 1,
      TumblingWindowInSeconds: 60,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86400,
      ParallelizationFactor: 1,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HotPathFailureBucket'), 'Arn'] } },
      },
    });
  });

  it('writes every batch (no tumbling window) with flushIntervalSeconds 0, and refuses more than 900', () => {
    synthTemplate({ flushIntervalSeconds: '0' }).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1000,
      TumblingWindowInSeconds: Match.absent(),
    });
    expect(() => configOf({ flushIntervalSeconds: '901' } as PulseSettings)).toThrow(
      `context 'flushIntervalSeconds' must be an integer from 0 to 900, got "901"`,
    );
  });

  it('takes batch size and batching window from config', () => {
    synthTemplate({ batchSize: '250', maxBatchingWindowSeconds: '5' }).hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      {
        BatchSize: 250,
        MaximumBatchingWindowInSeconds: 5,
      },
    );
  });

  it('keeps windows in an on-demand table with PITR, TTL, deletion protection and no secondary index', () => {
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'pulse-dev-windows',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: Match.absent(),
    });
  });

  it('grants the function exactly the table actions it uses on the table (not its indexes), and no wildcard action anywhere', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WindowsTable'), 'Arn'] },
          }),
        ]),
      },
    });
    const actions = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (
        p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }
      ).Properties.PolicyDocument.Statement.flatMap((s) => s.Action),
    );
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('may only put failed batches into the failure bucket (s3:PutObject, s3:ListBucket), as Lambda documents', () => {
    const bucket = { 'Fn::GetAtt': [Match.stringLikeRegexp('^HotPathFailureBucket'), 'Arn'] };
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^HotPathFunctionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [bucket, '/*']] } },
          { Action: 's3:ListBucket', Effect: 'Allow', Resource: bucket },
        ]),
      },
    });
    const s3Actions = Object.values(t.findResources('AWS::IAM::Policy'))
      .map((p) => (p as { Properties: Record<string, unknown> }).Properties)
      .filter((p) => JSON.stringify(p.Roles).includes('HotPathFunctionRole'))
      .flatMap((p) => (p.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement)
      .flatMap((s) => s.Action)
      .filter((a) => a.startsWith('s3:'));
    expect(s3Actions.sort()).toEqual(['s3:ListBucket', 's3:PutObject']);
  });

  it('keeps failed batches in an encrypted, versioned, TLS-only, private, access-logged bucket; logs expire', () => {
    t.hasResourceProperties('AWS::S3::Bucket', secureBucket(accessLogged('failures')));
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('counts logs per host only when the context says so, and names a malformed value', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PULSE_LOG_COUNTS_BY_HOST: 'false' }) },
    });
    expect(configOf({ logCountsByHost: 'true' }).windowing.logCountsByHost).toBe(true);
    expect(() => configOf({ logCountsByHost: 'yes' })).toThrow(
      `context 'logCountsByHost' must be true or false, got "yes"`,
    );
  });

  it('rejects a max record age beyond the stream retention', () => {
    expect(() => configOf({ retentionHours: '24', maxRecordAgeSeconds: '90000' } as PulseSettings)).toThrow(
      "context 'maxRecordAgeSeconds' (90000) exceeds the stream retention (24 h): records would expire first",
    );
  });
});
