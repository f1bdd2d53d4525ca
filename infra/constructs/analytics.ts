/**
 * Athena over the lake: a workgroup with enforced settings, encrypted results and a
 * bytes-scanned cutoff; one named query per file in analytics-sql/; and a daily
 * Step Functions workflow that runs the gold row-count check with retries and
 * notifies an SNS topic on failure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { analyticsSqlDir, statements } from '../../core/lake/lake-query.js';
import type { PulseConfig } from '../config.js';
import { LOG_RETENTION_DAYS } from '../defaults.js';

/** Props of {@link Analytics}. */
export interface AnalyticsProps {
  stage: string;
  databaseName: string;
  lakeBucket: s3.IBucket;
  settings: PulseConfig['lake'];
}

/** Every SQL file of analytics-sql/ (views, queries, workflow) as (name, text). */
export function analyticsFiles(dir = analyticsSqlDir()): { name: string; sql: string }[] {
  const out: { name: string; sql: string }[] = [];
  for (const sub of ['views', 'queries', 'workflow']) {
    for (const f of readdirSync(join(dir, sub))
      .filter((x) => x.endsWith('.sql'))
      .sort()) {
      out.push({ name: `${sub}/${f.replace(/\.sql$/, '')}`, sql: readFileSync(join(dir, sub, f), 'utf8') });
    }
  }
  return out;
}

/** Athena workgroup, named queries and the gold workflow. */
export class Analytics extends Construct {
  readonly workGroup: athena.CfnWorkGroup;
  readonly resultsBucket: s3.Bucket;
  readonly alarmTopic: sns.Topic;
  readonly workflow: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    this.resultsBucket = new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
      lifecycleRules: [{ expiration: Duration.days(30) }],
    });
    const name = `pulse-${props.stage}`;
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name,
      description: 'Pulse lake queries',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.settings.bytesScannedCutoffGb * 1024 ** 3,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    for (const f of analyticsFiles()) {
      const q = new athena.CfnNamedQuery(this, `Query-${f.name.replace(/[^A-Za-z0-9]/g, '-')}`, {
        name: f.name,
        database: props.databaseName,
        workGroup: name,
        queryString: f.sql,
        description: (f.sql.split('\n')[0] ?? '').replace(/^--\s*/, '').slice(0, 1024),
      });
      q.addResourceDependency(this.workGroup);
    }

    this.alarmTopic = new sns.Topic(this, 'Failures', {
      displayName: 'Pulse analytics failures',
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    this.workflow = this.goldWorkflow(props, name);
    new events.Rule(this, 'Daily', {
      description: 'Runs the gold rollup check daily',
      schedule: events.Schedule.expression(props.settings.workflowSchedule),
      targets: [new targets.SfnStateMachine(this.workflow)],
    });
  }

  private goldWorkflow(props: AnalyticsProps, workGroup: string): sfn.StateMachine {
    const check = analyticsFiles().find((f) => f.name === 'workflow/gold_row_counts');
    if (!check) throw new Error('analytics-sql/workflow/gold_row_counts.sql is missing');
    const views = analyticsFiles().filter((f) => f.name.startsWith('views/'));
    const notify = new tasks.SnsPublish(this, 'NotifyFailure', {
      topic: this.alarmTopic,
      subject: 'Pulse gold rollups failed',
      message: sfn.TaskInput.fromObject({
        error: sfn.JsonPath.stringAt('$.error.Error'),
        cause: sfn.JsonPath.stringAt('$.error.Cause'),
      }),
    });
    const failed = notify.next(new sfn.Fail(this, 'Failed', { error: 'GoldRollupsFailed' }));
    const athenaRetry: sfn.RetryProps = {
      errors: ['Athena.TooManyRequestsException', 'Athena.InternalServerException', 'States.Timeout'],
      interval: Duration.seconds(30),
      maxAttempts: 3,
      backoffRate: 2,
    };
    const run = (id: string, sql: string) => {
      const t = new tasks.AthenaStartQueryExecution(this, id, {
        queryString: sql,
        queryExecutionContext: { databaseName: props.databaseName },
        workGroup,
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        resultPath: '$.execution',
        taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
      });
      t.addRetry(athenaRetry);
      t.addCatch(failed, { resultPath: '$.error' });
      return t;
    };
    // The views are re-created first, so the rollups always follow the files in analytics-sql/.
    const steps = views.map((v, i) => run(`View${i}`, statements(v.sql)[0] ?? v.sql));
    const counts = run('GoldRowCounts', statements(check.sql)[0] ?? check.sql);
    const results = new tasks.AthenaGetQueryResults(this, 'ReadRowCounts', {
      queryExecutionId: sfn.JsonPath.stringAt('$.execution.QueryExecution.QueryExecutionId'),
      resultPath: '$.counts',
    });
    results.addRetry(athenaRetry);
    results.addCatch(failed, { resultPath: '$.error' });
    const row = '$.counts.ResultSet.Rows[1].Data';
    const empty = sfn.Condition.or(
      sfn.Condition.stringEquals(`${row}[0].VarCharValue`, '0'),
      sfn.Condition.stringEquals(`${row}[1].VarCharValue`, '0'),
      sfn.Condition.stringEquals(`${row}[2].VarCharValue`, '0'),
    );
    const emptyFailure = new sfn.Pass(this, 'EmptyRollup', {
      result: sfn.Result.fromObject({ Error: 'EmptyGoldRollup', Cause: 'a gold rollup has no rows for yesterday' }),
      resultPath: '$.error',
    }).next(notify);
    let chain: sfn.IChainable & sfn.INextable = steps[0] ?? counts;
    let definition = sfn.Chain.start(chain);
    for (const s of [...steps.slice(1), counts]) {
      definition = definition.next(s);
      chain = s;
    }
    definition = definition
      .next(results)
      .next(new sfn.Choice(this, 'AnyRollupEmpty').when(empty, emptyFailure).otherwise(new sfn.Succeed(this, 'Done')));
    const sm = new sfn.StateMachine(this, 'GoldWorkflow', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'WorkflowLogs', {
          retention: LOG_RETENTION_DAYS as logs.RetentionDays,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ERROR,
      },
    });
    props.lakeBucket.grantRead(sm);
    this.resultsBucket.grantReadWrite(sm);
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:GetPartitions',
          'glue:CreateTable',
          'glue:UpdateTable',
        ],
        resources: [
          `arn:aws:glue:${sm.stack.region}:${sm.stack.account}:catalog`,
          `arn:aws:glue:${sm.stack.region}:${sm.stack.account}:database/${props.databaseName}`,
          `arn:aws:glue:${sm.stack.region}:${sm.stack.account}:table/${props.databaseName}/*`,
        ],
      }),
    );
    return sm;
  }
}
