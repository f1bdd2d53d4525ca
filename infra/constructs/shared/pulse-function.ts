/**
 * {@link pulseFunction}: how every Pulse Lambda function is built (ESM bundle with the
 * schemas beside it, its own role and log group, X-Ray), and the {@link Invocation} that
 * decides where its failures go.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledge, LAMBDA_RUNTIME_NAME, LOG_RETENTION_DAYS, type NagReason } from '#infra/defaults.js';
import { InfraError } from '#infra/errors.js';

/** The repository root (this file is infra/constructs/shared/): entries and the lock file are under it. */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * How a function is invoked, which decides where its failures go: only asynchronous
 * invocations can use a dead-letter queue (cdk-nag Serverless-LambdaDLQ).
 */
export type Invocation = 'event-source-mapping' | 'sqs' | 'firehose' | 'api-gateway' | 'async';

/** Why a function of each {@link Invocation} has no dead-letter queue (the reasons are in NAG_REASONS). */
const DLQ_REASON: Record<Invocation, NagReason> = {
  'event-source-mapping': 'dlqEventSourceMapping',
  sqs: 'dlqSqs',
  firehose: 'dlqFirehose',
  'api-gateway': 'dlqApiGateway',
  async: 'dlqAsync',
};

const RUNTIME = lambda.Runtime.NODEJS_24_X;
if (RUNTIME.name !== LAMBDA_RUNTIME_NAME) {
  throw new InfraError(
    `runtime ${RUNTIME.name} is not LAMBDA_RUNTIME_NAME (${LAMBDA_RUNTIME_NAME}): set both to the same runtime (infra/defaults.ts and this file)`,
  );
}

/** What {@link pulseFunction} needs to know about one function. */
export interface PulseFunctionProps {
  /** The handler's file, from the repository root (`handlers/hot-path.ts`). */
  entry: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** The function's description (its role's too, cut to 1,000 characters). */
  description: string;
  invocation: Invocation;
}

/**
 * Builds a Node.js function of this repo: ESM bundle, schemas copied beside it, its own
 * role (no managed policy: it may write only to its own log group, which has a
 * retention), X-Ray active tracing.
 */
export function pulseFunction(scope: Construct, id: string, props: PulseFunctionProps): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: LOG_RETENTION_DAYS as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.description.slice(0, 1000),
  });
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, id, {
    entry: `${repoRoot}${props.entry}`,
    projectRoot: repoRoot,
    depsLockFilePath: `${repoRoot}package-lock.json`,
    description: props.description,
    runtime: RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memoryMb,
    timeout: Duration.seconds(props.timeoutSeconds),
    logGroup,
    role,
    tracing: lambda.Tracing.ACTIVE,
    environment: {
      PULSE_SCHEMAS_DIR: '/var/task/schemas',
      NODE_OPTIONS: '--enable-source-maps',
    },
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: `node${LAMBDA_RUNTIME_NAME.replace(/^nodejs(\d+)\.x$/, '$1')}`,
      sourceMap: true,
      // CommonJS dependencies (avsc, protobufjs) need require() inside the ESM bundle.
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir: string, outputDir: string) => [`cp -r ${inputDir}/schemas ${outputDir}/schemas`],
      },
    },
  });
  acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', 'xrayResource');
  acknowledge(fn, 'Serverless-LambdaDLQ', DLQ_REASON[props.invocation]);
  return fn;
}
