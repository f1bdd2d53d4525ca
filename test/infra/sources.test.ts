import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { configOf, type PulseSettings } from '#infra/config.js';
import { accessLogged, secureBucket, synthTemplate } from '#test/helpers/synth.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

/** Logical id of the one resource of `type` whose id starts with `prefix`. */
function logicalId(t: Template, type: string, prefix: string): string {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.startsWith(prefix));
  const [id, ...others] = ids;
  if (id === undefined || others.length > 0)
    throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ')}`);
  return id;
}

/** Statements of every AWS::IAM::Policy attached to the role of the function `functionPrefix`. */
function roleStatements(t: Template, functionPrefix: string): Statement[] {
  const fn = t.findResources('AWS::Lambda::Function')[
    logicalId(t, 'AWS::Lambda::Function', functionPrefix)
  ] as Resource;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .map((p) => (p as Resource).Properties)
    .filter((p) => (p.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

const objectsArn = (prefix: string, suffix = '') => ({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^SourcesDropBucket'), 'Arn'] }, `/${prefix}*${suffix}`]],
});

const deadLetters = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLetters'), 'Arn'] };

const idempotencyActions = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

describe('sources infrastructure', () => {
  const t = synthTemplate();

  describe('idempotency table', () => {
    it('is keyed on id with TTL on expiration, on demand, with PITR, deletion protection and AWS-managed encryption', () => {
      t.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: 'pulse-dev-idempotency',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      });
    });

    it('gives each source function exactly the item actions of Powertools Idempotency', () => {
      for (const fn of ['SourcesCollector', 'SourcesIngest', 'SourcesFileDrop']) {
        const table = roleStatements(t, fn).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
        expect(table, fn).toEqual([
          expect.objectContaining({
            Action: idempotencyActions,
            Resource: [{ 'Fn::GetAtt': [expect.stringMatching(/^SourcesIdempotencyTable/), 'Arn'] }],
          }),
        ]);
      }
    });
  });

  describe('functions', () => {
    it('all run on nodejs24.x arm64 with active tracing (CDK-owned custom resource handlers aside)', () => {
      const ours = Object.entries(t.findResources('AWS::Lambda::Function')).filter(
        ([id]) => !id.startsWith('BucketNotificationsHandler'),
      );
      expect(ours.length).toBeGreaterThanOrEqual(6);
      for (const [id, r] of ours) {
        expect((r as Resource).Properties.Runtime, id).toBe('nodejs24.x');
        expect((r as Resource).Properties.Architectures, id).toEqual(['arm64']);
        expect((r as Resource).Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      }
    });

    it('name the stream and the idempotency table in each source environment, and the collector hosts', () => {
      const common = {
        PULSE_STREAM_NAME: { Ref: Match.stringLikeRegexp('^EventsStream') },
        PULSE_IDEMPOTENCY_TABLE: { Ref: Match.stringLikeRegexp('^SourcesIdempotencyTable') },
        PULSE_SCHEMAS_DIR: '/var/task/schemas',
      };
      t.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('collector'),
        MemorySize: 256,
        Environment: { Variables: Match.objectLike({ ...common, PULSE_COLLECTOR_HOSTS: '10' }) },
      });
      t.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('ingest API'),
        Timeout: 29,
        Environment: { Variables: Match.objectLike(common) },
      });
      t.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('file drop'),
        Timeout: 900,
        MemorySize: 1024,
        Environment: { Variables: Match.objectLike(common) },
      });
    });

    it('lets every source write to the stream and generate data keys with its key, nothing more', () => {
      for (const fn of ['SourcesCollector', 'SourcesIngest', 'SourcesFileDrop']) {
        const statements = roleStatements(t, fn);
        expect(statements, fn).toContainEqual(
          expect.objectContaining({
            Action: ['kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'],
            Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EventsStream/), 'Arn'] },
          }),
        );
        expect(statements, fn).toContainEqual(
          expect.objectContaining({
            Action: 'kms:GenerateDataKey',
            Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EventsKey/), 'Arn'] },
          }),
        );
        expect(
          statements.flatMap(actionsOf).filter((a) => a.startsWith('kms:')),
          fn,
        ).toEqual(['kms:GenerateDataKey']);
      }
    });
  });

  describe('scheduled collector', () => {
    it('ticks every 5 minutes by default, targeting the collector with bounded retries, then the dead-letter queue', () => {
      const collector = logicalId(t, 'AWS::Lambda::Function', 'SourcesCollector');
      t.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [collector, 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
            DeadLetterConfig: { Arn: deadLetters },
          }),
        ],
      });
      t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: collector },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: deadLetters } },
      });
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [collector, 'Arn'] },
        Principal: 'events.amazonaws.com',
      });
    });

    it('takes its schedule and host count from context', () => {
      const o = synthTemplate({ collectorSchedule: 'cron(0/10 * * * ? *)', collectorHosts: '25' });
      o.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0/10 * * * ? *)' });
      o.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ PULSE_COLLECTOR_HOSTS: '25' }) },
      });
    });
  });

  describe('ingest API', () => {
    it('is a regional REST API with POST /v1/events, IAM auth, a Lambda proxy and the optional Idempotency-Key header', () => {
      const ingest = logicalId(t, 'AWS::Lambda::Function', 'SourcesIngest');
      t.hasResourceProperties('AWS::ApiGateway::RestApi', {
        Name: 'pulse-dev-ingest',
        EndpointConfiguration: { Types: ['REGIONAL'] },
      });
      t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'v1' });
      t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'events' });
      t.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        AuthorizationType: 'AWS_IAM',
        RequestParameters: { 'method.request.header.Idempotency-Key': false },
        RequestValidatorId: { Ref: Match.stringLikeRegexp('IngestRequestValidator') },
        RequestModels: { 'application/json': { Ref: Match.stringLikeRegexp('IngestRequestModel') } },
        Integration: Match.objectLike({
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          Uri: {
            'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [ingest, 'Arn'] }])],
          },
        }),
      });
      const methods = Object.values(t.findResources('AWS::ApiGateway::Method')).map((m) => (m as Resource).Properties);
      // /v1/events, and OTLP's /v1/metrics and /v1/logs (test/infra/otlp.test.ts)
      expect(methods.map((m) => [m.HttpMethod, m.AuthorizationType])).toEqual([
        ['POST', 'AWS_IAM'],
        ['POST', 'AWS_IAM'],
        ['POST', 'AWS_IAM'],
      ]);
    });

    it('validates the body against a model requiring 1 to 1000 events', () => {
      t.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      t.hasResourceProperties('AWS::ApiGateway::Model', {
        ContentType: 'application/json',
        Schema: Match.objectLike({
          type: 'object',
          required: ['events'],
          properties: { events: { type: 'array', minItems: 1, maxItems: 1000 } },
        }),
      });
      t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'BAD_REQUEST_BODY',
        StatusCode: '400',
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"error"') },
      });
    });

    it('throttles the stage (429 with Retry-After) and writes JSON access logs to a log group that expires', () => {
      t.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'dev',
        MethodSettings: [
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: 100,
            ThrottlingBurstLimit: 200,
            DataTraceEnabled: false,
            LoggingLevel: 'ERROR',
          }),
        ],
        TracingEnabled: true,
        AccessLogSetting: {
          DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SourcesApiAccessLogs'), 'Arn'] },
          Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId".*"caller".*"status".*"responseLength"'),
        },
      });
      t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'THROTTLED',
        StatusCode: '429',
        ResponseParameters: { 'gatewayresponse.header.Retry-After': "'1'" },
      });
      const logGroups = t.findResources('AWS::Logs::LogGroup');
      const accessLogs = logGroups[logicalId(t, 'AWS::Logs::LogGroup', 'SourcesApiAccessLogs')] as Resource;
      expect(accessLogs.Properties.RetentionInDays).toBe(30);
    });

    it('logs execution errors (never bodies) to the stage log group, created beforehand with a retention', () => {
      const api = logicalId(t, 'AWS::ApiGateway::RestApi', 'SourcesIngestApi');
      const group = logicalId(t, 'AWS::Logs::LogGroup', 'SourcesApiExecutionLogs');
      t.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: api }, '/dev']] },
        RetentionInDays: 30,
      });
      t.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([group]) });
    });

    it('takes the throttling from context', () => {
      synthTemplate({ ingestRateLimit: '50', ingestBurstLimit: '75' }).hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 75 })],
      });
    });

    it('outputs the events URL, the drop bucket and the idempotency table', () => {
      t.hasOutput('IngestApiUrl', {
        Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/v1/events$')])] },
      });
      t.hasOutput('DropBucketName', { Value: { Ref: Match.stringLikeRegexp('^SourcesDropBucket') } });
      t.hasOutput('IdempotencyTableName', { Value: { Ref: Match.stringLikeRegexp('^SourcesIdempotencyTable') } });
    });
  });

  describe('file drop', () => {
    it('is a secure, versioned, access-logged bucket whose processed/ and failed/ expire', () => {
      t.hasResourceProperties(
        'AWS::S3::Bucket',
        secureBucket({
          ...accessLogged('drop'),
          LifecycleConfiguration: {
            Rules: Match.arrayWith([
              Match.objectLike({ Prefix: 'incoming/', NoncurrentVersionExpiration: { NoncurrentDays: 7 } }),
              Match.objectLike({ Prefix: 'processed/', ExpirationInDays: 30 }),
              Match.objectLike({ Prefix: 'failed/', ExpirationInDays: 30 }),
            ]),
          },
        }),
      );
      t.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: Match.stringLikeRegexp('^SourcesDropBucket') },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      t.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }),
      });
    });

    it('notifies the file-drop queue of objects created under incoming/ only, with S3 allowed to send and nothing more', () => {
      const queue = logicalId(t, 'AWS::SQS::Queue', 'SourcesFileDropQueue');
      t.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: { Ref: Match.stringLikeRegexp('^SourcesDropBucket') },
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
              QueueArn: { 'Fn::GetAtt': [queue, 'Arn'] },
            },
          ],
        },
      });
      // No direct invocation by S3, no asynchronous retries: the queue delivers.
      t.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 's3.amazonaws.com' }, 0);
      const fileDrop = logicalId(t, 'AWS::Lambda::Function', 'SourcesFileDrop');
      t.resourcePropertiesCountIs('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fileDrop } }, 0);
      const policy = Object.values(t.findResources('AWS::SQS::QueuePolicy')).find((p) =>
        JSON.stringify((p as Resource).Properties.Queues).includes(queue),
      ) as Resource;
      expect((policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
        },
        {
          Sid: 'DropBucketNotifications',
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Condition: {
            ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [expect.stringMatching(/^SourcesDropBucket/), 'Arn'] } },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
          Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
        },
      ]);
    });

    it('queues notifications encrypted, TLS-only, visible again after 6× the function timeout, 3 receives then the dead-letter queue', () => {
      const dlq = logicalId(t, 'AWS::SQS::Queue', 'SourcesFileDropDeadLetters');
      t.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        // 6 × the function's 900 s timeout (+ no batching window), as AWS recommends for an SQS event source.
        VisibilityTimeout: 5_400,
        MessageRetentionPeriod: 4 * 86_400,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 3 },
      });
      t.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86_400,
        RedrivePolicy: Match.absent(),
      });
      for (const q of ['SourcesFileDropQueue', 'SourcesFileDropDeadLetters']) {
        t.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: logicalId(t, 'AWS::SQS::Queue', q) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
      t.hasOutput('FileDropDeadLettersUrl', { Value: { Ref: dlq } });
    });

    it('reads the queue with partial batch responses (ReportBatchItemFailures), bounded batches and concurrency', () => {
      const fileDrop = logicalId(t, 'AWS::Lambda::Function', 'SourcesFileDrop');
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: fileDrop },
        EventSourceArn: { 'Fn::GetAtt': [logicalId(t, 'AWS::SQS::Queue', 'SourcesFileDropQueue'), 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 5,
        MaximumBatchingWindowInSeconds: 0,
        ScalingConfig: { MaximumConcurrency: 10 },
      });
      // The handler moves a file to failed/ at the queue's last receive: it is told which that is.
      t.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('file drop'),
        Environment: { Variables: Match.objectLike({ PULSE_DROP_MAX_RECEIVES: '3' }) },
      });
      const sqsActions = roleStatements(t, 'SourcesFileDrop')
        .filter((st) => actionsOf(st).some((a) => a.startsWith('sqs:')))
        .map((st) => [actionsOf(st), st.Resource]);
      expect(sqsActions).toEqual([
        [
          [
            'sqs:ReceiveMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueUrl',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
          ],
          { 'Fn::GetAtt': [expect.stringMatching(/^SourcesFileDropQueue/), 'Arn'] },
        ],
      ]);
    });

    it('lets the function read and delete only under incoming/, write only under processed/ and failed/, and delete errors files', () => {
      const statements = roleStatements(t, 'SourcesFileDrop');
      const s3Statements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
      expect(s3Statements).toEqual([
        {
          Effect: 'Allow',
          Action: [
            's3:GetObject',
            's3:GetObjectVersion',
            's3:GetObjectTagging',
            's3:GetObjectVersionTagging',
            's3:DeleteObject',
          ],
          Resource: expect.objectContaining({}),
        },
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Condition: { StringLike: { 's3:prefix': ['incoming/*'] } },
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SourcesDropBucket/), 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:PutObjectTagging'],
          Resource: [expect.anything(), expect.anything()],
        },
        { Effect: 'Allow', Action: 's3:DeleteObject', Resource: expect.objectContaining({}) },
      ]);
      // Exact resources, by the template's own matcher.
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Action: [
                's3:GetObject',
                's3:GetObjectVersion',
                's3:GetObjectTagging',
                's3:GetObjectVersionTagging',
                's3:DeleteObject',
              ],
              Resource: objectsArn('incoming/'),
            },
            {
              Effect: 'Allow',
              Action: ['s3:PutObject', 's3:PutObjectTagging'],
              Resource: [objectsArn('processed/'), objectsArn('failed/')],
            },
            { Effect: 'Allow', Action: 's3:DeleteObject', Resource: objectsArn('failed/', '.errors.jsonl') },
          ]),
        },
      });
      const actions = statements.flatMap(actionsOf);
      expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
      expect(actions.filter((a) => a.startsWith('s3:')).sort()).toEqual(
        [
          's3:DeleteObject',
          's3:DeleteObject',
          's3:GetObject',
          's3:GetObjectTagging',
          's3:GetObjectVersion',
          's3:GetObjectVersionTagging',
          's3:ListBucket',
          's3:PutObject',
          's3:PutObjectTagging',
        ].sort(),
      );
    });
  });

  describe('config', () => {
    it('rejects a collector schedule that is not rate(...) or cron(...), naming the key', () => {
      expect(() => configOf({ collectorSchedule: 'every 5 minutes' } as PulseSettings)).toThrow(
        `context 'collectorSchedule' must be an EventBridge schedule expression such as 'rate(5 minutes)' or 'cron(0/5 * * * ? *)', got "every 5 minutes"`,
      );
    });

    it.each([
      [{ collectorHosts: '0' }, `context 'collectorHosts' must be an integer from 1 to 999, got "0"`],
      [{ ingestRateLimit: '10001' }, `context 'ingestRateLimit' must be an integer from 1 to 10000, got "10001"`],
      [{ ingestBurstLimit: 'many' }, `context 'ingestBurstLimit' must be an integer from 1 to 5000, got "many"`],
    ])('rejects %j', (context, message) => {
      expect(() => configOf(context as PulseSettings)).toThrow(message);
    });

    it('defaults the sources section', () => {
      expect(configOf().sources).toEqual({
        collectorSchedule: 'rate(5 minutes)',
        collectorHosts: 10,
        ingestRateLimit: 100,
        ingestBurstLimit: 200,
      });
    });
  });
});
