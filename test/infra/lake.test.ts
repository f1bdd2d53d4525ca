import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { lakeColumns } from '#core/lake/columns.js';
import { analyticsFiles, viewNames } from '#infra/constructs/analytics.js';
import { accessLogged, synthTemplate } from '#test/helpers/synth.js';

const registry = SchemaRegistry.load();

describe('cold-path infrastructure', () => {
  const t = synthTemplate();

  it('has one delivery stream per event type reading the stream, with the transform, Parquet conversion and dynamic partitioning', () => {
    expect(Object.keys(t.findResources('AWS::KinesisFirehose::DeliveryStream')).length).toBe(2);
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsStream'), 'Arn'] },
      },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix:
          'metric_samples/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/',
        ErrorOutputPrefix: Match.stringLikeRegexp('^errors/metric_samples/!\\{firehose:error-output-type\\}/'),
        CompressionFormat: 'UNCOMPRESSED',
        BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 300 },
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            Match.objectLike({
              Type: 'Lambda',
              Parameters: Match.arrayWith([Match.objectLike({ ParameterName: 'LambdaArn' })]),
            }),
          ],
        },
        DataFormatConversionConfiguration: Match.objectLike({
          Enabled: true,
          InputFormatConfiguration: { Deserializer: { HiveJsonSerDe: { TimestampFormats: ['millis'] } } },
          OutputFormatConfiguration: {
            Serializer: { ParquetSerDe: { Compression: 'SNAPPY', EnableDictionaryCompression: true } },
          },
          SchemaConfiguration: Match.objectLike({
            DatabaseName: 'pulse_dev',
            TableName: 'metric_samples',
            VersionId: 'LATEST',
          }),
        }),
      }),
    });
  });

  it('takes buffering from config and refuses less than 64 MB (conversion needs it)', () => {
    synthTemplate({ bufferSizeMb: '64', bufferIntervalSeconds: '60' }).hasResourceProperties(
      'AWS::KinesisFirehose::DeliveryStream',
      {
        ExtendedS3DestinationConfiguration: Match.objectLike({
          BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
        }),
      },
    );
    expect(() => synthTemplate({ bufferSizeMb: '32' })).toThrow(
      'context \'bufferSizeMb\' must be an integer from 64 to 128, got "32"',
    );
  });

  it('defines the Glue tables with the columns generated from the .avsc and partition projection (no crawler)', () => {
    for (const [type, table] of [
      ['MetricSample', 'metric_samples'],
      ['LogEvent', 'log_events'],
    ] as const) {
      t.hasResourceProperties('AWS::Glue::Table', {
        DatabaseName: 'pulse_dev',
        TableInput: Match.objectLike({
          Name: table,
          PartitionKeys: ['year', 'month', 'day', 'hour'].map((n) => ({ Name: n, Type: 'int' })),
          Parameters: Match.objectLike({
            'projection.enabled': 'true',
            'projection.hour.range': '0,23',
            'projection.hour.digits': '2',
            // ingest accepts event times from 2000-01-01: every accepted event is in a readable partition
            'projection.year.range': '2000,2100',
          }),
          StorageDescriptor: Match.objectLike({
            Columns: lakeColumns(registry, type).map((c) => ({ Name: c.name, Type: c.glueType, Comment: c.comment })),
            SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          }),
        }),
      });
    }
    expect(Object.keys(t.findResources('AWS::Glue::Crawler'))).toEqual([]);
  });

  it('keeps the lake in an encrypted, versioned, TLS-only, private, access-logged bucket with lifecycle tiers', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      ...accessLogged('lake'),
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Transitions: [
              { StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
            ],
          }),
        ]),
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('has an Athena workgroup with enforced settings, encrypted results and a bytes-scanned cutoff', () => {
    t.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'pulse-dev',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
  });

  it('has one named query per file in analytics-sql/', () => {
    const files = analyticsFiles();
    expect(files.length).toBe(16); // 5 views, 10 queries, 1 workflow
    const named = Object.values(t.findResources('AWS::Athena::NamedQuery')).map(
      (r) => (r as { Properties: { Name: string; QueryString: string } }).Properties,
    );
    expect(named.map((n) => n.Name).sort()).toEqual(files.map((f) => f.name).sort());
    expect(named.find((n) => n.Name === 'queries/cpu_by_host_day')?.QueryString).toBe(
      files.find((f) => f.name === 'queries/cpu_by_host_day')?.sql,
    );
  });

  it('runs the gold workflow daily with retries; a failure ends it failed, for the stage alarm to notify', () => {
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(15 1 * * ? *)' });
    const [sm] = Object.values(t.findResources('AWS::StepFunctions::StateMachine')) as {
      Properties: { DefinitionString: unknown };
    }[];
    const definition = JSON.stringify(sm?.Properties.DefinitionString);
    expect(definition).toContain('athena:startQueryExecution.sync');
    expect(definition).toContain('Athena.TooManyRequestsException');
    expect(definition).toContain('GoldRollupsFailed');
    // No topic of its own that nobody reads: the alarm topic is the stage's only one.
    expect(definition).not.toContain(':states:::sns:publish');
    expect(Object.keys(t.findResources('AWS::SNS::Topic'))).toEqual([
      expect.stringMatching(/^ObservabilityAlarmTopic/),
    ]);
    const [smId] = Object.keys(t.findResources('AWS::StepFunctions::StateMachine'));
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: smId } }],
    });
  });

  it('gives the delivery role only Glue table reads, and no policy anywhere a wildcard action', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'] }),
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

  it('lets each delivery role write only under its table and error prefixes, and invoke only its transform', () => {
    const bucket = { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeBucket'), 'Arn'] };
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^LakeMetricSampleDeliveryRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
            Effect: 'Allow',
            Resource: bucket,
          },
          {
            Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
            Effect: 'Allow',
            Resource: [
              { 'Fn::Join': ['', [bucket, '/metric_samples/*']] },
              { 'Fn::Join': ['', [bucket, '/errors/metric_samples/*']] },
            ],
          },
          {
            Action: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeMetricSampleTransform'), 'Arn'] },
          },
        ]),
      },
    });
  });

  it('runs the gold workflow with ALL-level logs (no execution data), X-Ray, and a dead-letter queue for its schedule', () => {
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
      TracingConfiguration: { Enabled: true },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(15 1 * * ? *)',
      Targets: [
        Match.objectLike({
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLetters'), 'Arn'] } },
        }),
      ],
    });
  });

  it('grants the gold workflow Glue on its named tables and views only, S3 on the lake and results prefixes only', () => {
    const [policy, ...others] = Object.values(t.findResources('AWS::IAM::Policy'))
      .map((p) => (p as { Properties: Record<string, unknown> }).Properties)
      .filter((p) => JSON.stringify(p.Roles).includes('AnalyticsGoldWorkflowRole'));
    expect(others).toEqual([]);
    const statements = (policy?.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
      .Statement;
    const actions = statements.flatMap((s) => s.Action);
    expect(
      actions.filter((a) => /^glue:(Delete|BatchDelete|CreateDatabase)|^lakeformation:|^s3:CreateBucket/.test(a)),
    ).toEqual([]);
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    for (const name of [...viewNames(), 'metric_samples', 'log_events']) {
      expect(resources).toContain(`:table/pulse_dev/${name}`);
    }
    expect(resources).not.toContain('pulse_dev/*');
    // A wildcard resource only for the actions that take no other (X-Ray, log delivery).
    const star = statements.filter((s) => s.Resource === '*').flatMap((s) => s.Action);
    expect(star.filter((a) => !/^(xray|logs):/.test(a))).toEqual([]);
    expect(resources).toContain('/results/*');
    expect(resources).toContain('/metric_samples/*');
  });

  it('names the view each analytics-sql/views file creates, and refuses a file that creates none', () => {
    expect(viewNames()).toEqual([
      'silver_metric_samples',
      'silver_log_events',
      'gold_metrics_hourly',
      'gold_metrics_daily',
      'gold_logs_hourly',
    ]);
    expect(() => viewNames([{ name: 'views/99_bad', sql: 'SELECT 1' }])).toThrow(
      'analytics-sql/views/99_bad.sql creates no view (CREATE OR REPLACE VIEW name AS ...)',
    );
  });
  it('names each delivery stream after its stage and table, so pulse status --aws finds it', () => {
    const t = synthTemplate();
    for (const name of ['pulse-dev-metric-samples', 'pulse-dev-log-events']) {
      t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', { DeliveryStreamName: name });
    }
  });
});
