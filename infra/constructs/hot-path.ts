/**
 * The hot path: the Lambda function (nodejs22.x, arm64) and its Kinesis event
 * source mapping (partial batch failures, bisect, bounded retries, maximum record
 * age, an S3 on-failure destination that keeps the payload).
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, S3OnFailureDestination } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { WindowingConfig } from '../../core/windows/config.js';
import type { PulseConfig } from '../config.js';
import { LOG_RETENTION_DAYS, SECURE_BUCKET } from '../defaults.js';
import type { WindowTable } from './window-table.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Props of {@link HotPath}. */
export interface HotPathProps {
  stream: kinesis.IStream;
  windows: WindowTable;
  settings: PulseConfig['hotPath'];
  windowing: WindowingConfig;
}

/** Builds a Node.js function of this repo: ESM bundle, schemas copied beside it. */
export function pulseFunction(
  scope: Construct,
  id: string,
  props: { entry: string; memoryMb: number; timeoutSeconds: number; description: string },
): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: LOG_RETENTION_DAYS as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new nodejs.NodejsFunction(scope, id, {
    entry: `${repoRoot}${props.entry}`,
    projectRoot: repoRoot,
    depsLockFilePath: `${repoRoot}package-lock.json`,
    description: props.description,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memoryMb,
    timeout: Duration.seconds(props.timeoutSeconds),
    logGroup,
    environment: {
      PULSE_SCHEMAS_DIR: '/var/task/schemas',
      NODE_OPTIONS: '--enable-source-maps',
    },
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: 'node22',
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
}

/** The hot-path function, its mapping and its failure bucket. */
export class HotPath extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly failureBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: HotPathProps) {
    super(scope, id);
    const s = props.settings;
    this.fn = pulseFunction(this, 'Function', {
      entry: 'handlers/hot-path.ts',
      memoryMb: s.memoryMb,
      timeoutSeconds: s.timeoutSeconds,
      description: 'Pulse hot path: Kinesis batches to event-time windows in DynamoDB',
    });
    const w = props.windowing;
    this.fn.addEnvironment('PULSE_STREAM_NAME', props.stream.streamName);
    this.fn.addEnvironment('PULSE_WINDOW_SIZES_MS', w.windowSizesMs.join(','));
    this.fn.addEnvironment('PULSE_OUT_OF_ORDERNESS_MS', String(w.outOfOrdernessMs));
    this.fn.addEnvironment('PULSE_ALLOWED_LATENESS_MS', String(w.allowedLatenessMs));
    this.fn.addEnvironment('PULSE_MAX_FUTURE_SKEW_MS', String(w.maxFutureSkewMs));
    this.fn.addEnvironment('PULSE_WINDOW_TTL_DAYS', String(w.ttlDays));
    this.fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', 'Pulse');
    this.useWindowTable(props.windows);

    this.failureBucket = new s3.Bucket(this, 'FailureBucket', {
      ...SECURE_BUCKET,
      lifecycleRules: [
        { transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }] },
      ],
    });
    this.fn.addEventSource(
      new KinesisEventSource(props.stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: s.batchSize,
        maxBatchingWindow: Duration.seconds(s.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: s.retryAttempts,
        maxRecordAge: Duration.seconds(s.maxRecordAgeSeconds),
        // One invocation per shard at a time: the checkpoint and warm cache assume it,
        // and aggregated records cannot be split across parallel invocations anyway.
        parallelizationFactor: 1,
        onFailure: new S3OnFailureDestination(this.failureBucket),
      }),
    );
  }

  /** Sets the table variable and grants exactly the projection's actions, together. */
  private useWindowTable(windows: WindowTable): void {
    this.fn.addEnvironment('PULSE_WINDOW_TABLE', windows.table.tableName);
    windows.grantProjectionWrite(this.fn);
  }
}
