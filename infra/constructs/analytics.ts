/**
 * Athena over the lake: a workgroup with enforced settings, encrypted results and a
 * bytes-scanned cutoff; one named query per file in analytics-sql/; and a daily
 * Step Functions workflow that runs the gold row-count check with retries and ends
 * failed when a step or the check fails (the stage's `gold-workflow-failed` alarm
 * notifies on-call through the alarm topic). The workflow calls Athena through Step Functions'
 * optimized integration with a role granted exactly the workgroup, the Glue tables
 * and views it names, and the S3 prefixes it reads and writes (the CDK Athena tasks
 * would grant s3 on "*", glue:Delete* and lakeformation:GetDataAccess).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LAKE_TABLES } from '#core/lake/columns.js';
import { analyticsSqlDir, statements } from '#core/lake/lake-query.js';
import type { PulseConfig } from '#infra/config.js';
import { acknowledge, LOG_RETENTION_DAYS, nagArn } from '#infra/defaults.js';
import { InfraError } from '#infra/errors.js';
import { deadLetterQueue } from '#infra/constructs/shared/dead-letter-queue.js';
import { pulseBucket } from '#infra/constructs/shared/pulse-bucket.js';

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

/** Where the workgroup writes query results in the results bucket. */
const RESULTS_PREFIX = 'results/';

/**
 * The view each file of analytics-sql/views/ creates (`CREATE OR REPLACE VIEW name`):
 * the workflow may create and update exactly these in the Glue catalog.
 * @throws InfraError naming a file that creates no view
 */
export function viewNames(files = analyticsFiles()): string[] {
  return files
    .filter((f) => f.name.startsWith('views/'))
    .map((f) => {
      const m = /CREATE\s+OR\s+REPLACE\s+VIEW\s+([A-Za-z0-9_]+)/i.exec(f.sql);
      if (!m?.[1]) {
        throw new InfraError(`analytics-sql/${f.name}.sql creates no view (CREATE OR REPLACE VIEW name AS ...)`);
      }
      return m[1];
    });
}

/** Athena workgroup, named queries and the gold workflow. */
export class Analytics extends Construct {
  readonly workGroup: athena.CfnWorkGroup;
  readonly resultsBucket: s3.Bucket;
  readonly workflow: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    // Query results are re-creatable: not versioned, deleted with the stack.
    this.resultsBucket = pulseBucket(this, 'Results', 'athena-results', {
      versioned: false,
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
          outputLocation: `s3://${this.resultsBucket.bucketName}/${RESULTS_PREFIX}`,
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

    this.workflow = this.goldWorkflow(props, name);
    new events.Rule(this, 'Daily', {
      description: 'Runs the gold rollup check daily',
      schedule: events.Schedule.expression(props.settings.workflowSchedule),
      targets: [new targets.SfnStateMachine(this.workflow, { deadLetterQueue: deadLetterQueue(this) })],
    });
  }

  private goldWorkflow(props: AnalyticsProps, workGroup: string): sfn.StateMachine {
    const check = analyticsFiles().find((f) => f.name === 'workflow/gold_row_counts');
    if (!check) {
      throw new InfraError('analytics-sql/workflow/gold_row_counts.sql is missing: the gold workflow runs its check');
    }
    const views = analyticsFiles().filter((f) => f.name.startsWith('views/'));
    // A failure ends the run failed: the stage's gold-workflow-failed alarm (ExecutionsFailed)
    // notifies on-call through the alarm topic; the error and cause are in the execution's history.
    const failed = new sfn.Fail(this, 'Failed', { error: 'GoldRollupsFailed' });
    const athenaRetry: sfn.RetryProps = {
      errors: ['Athena.TooManyRequestsException', 'Athena.InternalServerException', 'States.Timeout'],
      interval: Duration.seconds(30),
      maxAttempts: 3,
      backoffRate: 2,
    };
    const integration = (api: string) => `arn:${Aws.PARTITION}:states:::athena:${api}`;
    const run = (id: string, sql: string) => {
      const t = new sfn.CustomState(this, id, {
        stateJson: {
          Type: 'Task',
          Resource: integration('startQueryExecution.sync'),
          Parameters: {
            QueryString: sql,
            QueryExecutionContext: { Database: props.databaseName },
            WorkGroup: workGroup,
          },
          ResultPath: '$.execution',
          TimeoutSeconds: Duration.minutes(15).toSeconds(),
        },
      });
      t.addRetry(athenaRetry);
      t.addCatch(failed, { resultPath: '$.error' });
      return t;
    };
    // The views are re-created first, so the rollups always follow the files in analytics-sql/.
    const steps = views.map((v, i) => run(`View${i}`, statements(v.sql)[0] ?? v.sql));
    const counts = run('GoldRowCounts', statements(check.sql)[0] ?? check.sql);
    const results = new sfn.CustomState(this, 'ReadRowCounts', {
      stateJson: {
        Type: 'Task',
        Resource: integration('getQueryResults'),
        Parameters: { 'QueryExecutionId.$': '$.execution.QueryExecution.QueryExecutionId' },
        ResultPath: '$.counts',
      },
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
    }).next(failed);
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
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    this.grantAthena(sm, props, workGroup);
    return sm;
  }

  /**
   * What the workflow's Athena queries need, with its credentials: run and read queries
   * in the workgroup; read the bronze tables and create or replace the views in Glue;
   * read the bronze objects; write and read results under results/.
   */
  private grantAthena(sm: sfn.StateMachine, props: AnalyticsProps, workGroup: string): void {
    const stack = Stack.of(this);
    const glue = (resource: string, resourceName?: string) =>
      stack.formatArn({ service: 'glue', resource, ...(resourceName === undefined ? {} : { resourceName }) });
    const bronze = Object.values(LAKE_TABLES);
    const views = viewNames();
    const table = (name: string) => glue('table', `${props.databaseName}/${name}`);
    const catalog = [glue('catalog'), glue('database', props.databaseName)];
    const statement = (actions: string[], resources: string[]) =>
      sm.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
    statement(
      ['athena:StartQueryExecution', 'athena:StopQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
      [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: workGroup })],
    );
    statement(
      ['athena:GetDataCatalog'],
      [stack.formatArn({ service: 'athena', resource: 'datacatalog', resourceName: 'AwsDataCatalog' })],
    );
    statement(
      ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
      [...catalog, ...[...bronze, ...views].map(table)],
    );
    statement(['glue:CreateTable', 'glue:UpdateTable'], [...catalog, ...views.map(table)]);

    const lake = props.lakeBucket;
    statement(['s3:GetBucketLocation', 's3:ListBucket'], [lake.bucketArn]);
    statement(
      ['s3:GetObject'],
      bronze.map((t) => lake.arnForObjects(`${t}/*`)),
    );
    for (const t of bronze)
      acknowledge(sm.role, `AwsSolutions-IAM5[Resource::${nagArn(lake)}/${t}/*]`, 'athenaObjects');
    const results = this.resultsBucket;
    statement(['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], [results.bucketArn]);
    statement(
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      [results.arnForObjects(`${RESULTS_PREFIX}*`)],
    );
    acknowledge(sm.role, `AwsSolutions-IAM5[Resource::${nagArn(results)}/${RESULTS_PREFIX}*]`, 'athenaObjects');
    acknowledge(sm.role, 'AwsSolutions-IAM5[Resource::*]', 'xrayResource');
  }
}
