/**
 * The infrastructure of the sources that run in AWS (the host agent runs on the
 * hosts and produces to the stream itself): the Powertools Idempotency table they
 * share; the scheduled collector (an EventBridge rule); the HTTP ingest API
 * (./ingest-api.ts) with OTLP/HTTP beside it (./otlp-ingest.ts); the S3 file drop
 * (./file-drop.ts). Every function writes to the stream.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IDEMPOTENCY_TABLE } from '#core/sources/http-api.js';
import type { PulseConfig } from '#infra/config.js';
import { deadLetterQueue } from '#infra/constructs/shared/dead-letter-queue.js';
import { type PulseFunctionProps, pulseFunction } from '#infra/constructs/shared/pulse-function.js';
import { SECURE_TABLE, SOURCE_RESOURCES } from '#infra/defaults.js';
import { addDropStorage, wireFileDrop } from './file-drop.js';
import { addIngestApi } from './ingest-api.js';
import { OtlpIngest } from './otlp-ingest.js';

/** Props of {@link Sources}. */
export interface SourcesProps {
  /** The Pulse stage: names the API stage. */
  stage: string;
  stream: kinesis.IStream;
  /** Name of the idempotency table (`resourceNames(stage).idempotencyTable`). */
  idempotencyTableName: string;
  settings: PulseConfig['sources'];
}

/** Exactly the item actions Powertools Idempotency uses on its table. */
export const IDEMPOTENCY_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** The idempotency table, the collector, the ingest API and the file drop. */
export class Sources extends Construct {
  /** Powertools Idempotency's table, shared by the source functions. */
  readonly idempotencyTable: dynamodb.Table;
  /** The scheduled collector (handlers/collector.ts). */
  readonly collector: lambda.Function;
  /** The collector's schedule. */
  readonly collectorRule: events.Rule;
  /** The function behind `POST /v1/events` (handlers/ingest.ts). */
  readonly ingest: lambda.Function;
  /** The ingest API (./ingest-api.ts). */
  readonly api: apigateway.RestApi;
  /** `POST` here (SigV4-signed, `execute-api:Invoke`). */
  readonly ingestMethod: apigateway.Method;
  /** OTLP/HTTP on the same API and stage: `POST /v1/metrics`, `POST /v1/logs` (./otlp-ingest.ts). */
  readonly otlp: OtlpIngest;
  /** The API stage's JSON access logs. */
  readonly accessLogs: logs.LogGroup;
  /** The stage's execution logs (errors only, no bodies), created here to give them a retention. */
  readonly executionLogs: logs.LogGroup;
  /** Files dropped under `incoming/` are read to the stream (./file-drop.ts). */
  readonly dropBucket: s3.Bucket;
  /** The drop bucket's notifications of `incoming/`, read by {@link fileDrop}. */
  readonly fileDropQueue: sqs.Queue;
  /** Notifications that failed every receive (their files are under `failed/`). */
  readonly fileDropDeadLetters: sqs.Queue;
  /** The function that reads dropped files (handlers/file-drop.ts). */
  readonly fileDrop: lambda.Function;

  constructor(scope: Construct, id: string, props: SourcesProps) {
    super(scope, id);
    const { partitionKey, ttlAttribute } = IDEMPOTENCY_TABLE;
    this.idempotencyTable = new dynamodb.Table(this, 'IdempotencyTable', {
      tableName: props.idempotencyTableName,
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: ttlAttribute,
      ...SECURE_TABLE,
    });

    this.collector = this.addCollector(props);
    this.collectorRule = new events.Rule(this, 'CollectorSchedule', {
      description: 'Pulse collector tick',
      schedule: events.Schedule.expression(props.settings.collectorSchedule),
      targets: [
        new targets.LambdaFunction(this.collector, {
          // Only failures to invoke: function errors are retried by the async invoke config.
          retryAttempts: SOURCE_RESOURCES.asyncRetryAttempts,
          maxEventAge: Duration.seconds(SOURCE_RESOURCES.maxEventAgeSeconds),
          deadLetterQueue: deadLetterQueue(this),
        }),
      ],
    });

    this.ingest = this.sourceFunction(props, 'Ingest', {
      entry: 'handlers/ingest.ts',
      ...SOURCE_RESOURCES.ingest,
      description: 'Pulse ingest API: POST /v1/events to the stream',
      invocation: 'api-gateway',
    });
    const ingestApi = addIngestApi(this, { stage: props.stage, settings: props.settings, fn: this.ingest });
    this.accessLogs = ingestApi.accessLogs;
    this.api = ingestApi.api;
    this.executionLogs = ingestApi.executionLogs;
    this.ingestMethod = ingestApi.method;
    this.otlp = new OtlpIngest(this, 'Otlp', {
      api: this.api,
      wireSource: (fn) => {
        this.useStream(fn, props.stream);
        this.useIdempotencyTable(fn);
      },
    });

    const drop = addDropStorage(this);
    this.dropBucket = drop.bucket;
    this.fileDropDeadLetters = drop.deadLetters;
    this.fileDropQueue = drop.queue;
    this.fileDrop = this.sourceFunction(props, 'FileDrop', {
      entry: 'handlers/file-drop.ts',
      ...SOURCE_RESOURCES.fileDrop,
      description: 'Pulse file drop: CSV / JSON-lines files under incoming/ to the stream',
      invocation: 'sqs',
    });
    wireFileDrop(this.fileDrop, drop);
  }

  /** A source function: stream and idempotency table wired, nothing else. */
  private sourceFunction(props: SourcesProps, id: string, options: PulseFunctionProps): lambda.Function {
    const fn = pulseFunction(this, id, options);
    this.useStream(fn, props.stream);
    this.useIdempotencyTable(fn);
    return fn;
  }

  /**
   * Sets the stream variable and grants producing, together: ListShards and PutRecord(s)
   * on the stream, kms:GenerateDataKey on its key (what a producer to a KMS-encrypted
   * stream needs; `grantWrite` would add kms:ReEncrypt* and kms:GenerateDataKey*).
   */
  private useStream(fn: lambda.Function, stream: kinesis.IStream): void {
    fn.addEnvironment('PULSE_STREAM_NAME', stream.streamName);
    stream.grant(fn, 'kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords');
    stream.encryptionKey?.grant(fn, 'kms:GenerateDataKey');
  }

  /** Retries failed asynchronous invocations, then sends them to the pipeline's dead-letter queue. */
  private retryAsync(fn: lambda.Function): void {
    fn.configureAsyncInvoke({
      retryAttempts: SOURCE_RESOURCES.asyncRetryAttempts,
      maxEventAge: Duration.seconds(SOURCE_RESOURCES.maxEventAgeSeconds),
      onFailure: new SqsDestination(deadLetterQueue(this)),
    });
  }

  /** Sets the table variable and grants exactly Powertools Idempotency's item actions, together. */
  private useIdempotencyTable(fn: lambda.Function): void {
    fn.addEnvironment('PULSE_IDEMPOTENCY_TABLE', this.idempotencyTable.tableName);
    this.idempotencyTable.grant(fn, ...IDEMPOTENCY_ACTIONS);
  }

  private addCollector(props: SourcesProps): lambda.Function {
    const fn = this.sourceFunction(props, 'Collector', {
      entry: 'handlers/collector.ts',
      ...SOURCE_RESOURCES.collector,
      description: 'Pulse scheduled collector: one tick of fleet metrics to the stream',
      invocation: 'async',
    });
    fn.addEnvironment('PULSE_COLLECTOR_HOSTS', String(props.settings.collectorHosts));
    this.retryAsync(fn);
    return fn;
  }
}
