/**
 * The infrastructure of the sources that run in AWS (the host agent runs on the
 * hosts and produces to the stream itself): the Powertools Idempotency table they
 * share; the scheduled collector (an EventBridge rule); the HTTP ingest API (API
 * Gateway REST, IAM auth, body validation, stage throttling, JSON access logs); the
 * S3 file drop (a secure bucket whose `incoming/` notifies an encrypted, TLS-only SQS
 * queue with a dead-letter queue; a function reads the queue with partial batch
 * responses and may read and delete only under `incoming/` and write only to
 * `processed/` and `failed/`). Every function writes to the stream.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DROP_PREFIXES, ERRORS_SUFFIX, FILE_DROP_QUEUE } from '#core/sources/file-drop.js';
import { IDEMPOTENCY_TABLE } from '#core/sources/idempotency.js';
import { INGEST_DEFAULTS } from '#core/sources/ingest.js';
import type { PulseConfig } from '#infra/config.js';
import {
  acknowledge,
  FILE_DROP_QUEUE_DEFAULTS,
  LOG_RETENTION_DAYS,
  nagArn,
  SECURE_QUEUE,
  SECURE_TABLE,
  SOURCE_RESOURCES,
} from '#infra/defaults.js';
import { deadLetterQueue } from '#infra/constructs/shared/dead-letter-queue.js';
import { pulseBucket } from '#infra/constructs/shared/pulse-bucket.js';
import { type PulseFunctionProps, pulseFunction } from '#infra/constructs/shared/pulse-function.js';
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

/** The ingest API's path, below the stage. */
export const INGEST_PATH = ['v1', 'events'] as const;

/** Exactly the item actions Powertools Idempotency uses on its table. */
export const IDEMPOTENCY_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/**
 * The body model of `POST /v1/events`: an object with 1 to `maxEvents` events.
 * Each event is validated by the function, which accepts the valid ones and
 * reports the others, so the model does not constrain the items.
 */
export function ingestBodySchema(maxEvents: number = INGEST_DEFAULTS.maxEvents): apigateway.JsonSchema {
  return {
    schema: apigateway.JsonSchemaVersion.DRAFT4,
    title: 'PulseIngestRequest',
    type: apigateway.JsonSchemaType.OBJECT,
    required: ['events'],
    properties: {
      events: { type: apigateway.JsonSchemaType.ARRAY, minItems: 1, maxItems: maxEvents },
    },
  };
}

/** The idempotency table, the collector, the ingest API and the file drop. */
export class Sources extends Construct {
  readonly idempotencyTable: dynamodb.Table;
  readonly collector: lambda.Function;
  readonly collectorRule: events.Rule;
  readonly ingest: lambda.Function;
  readonly api: apigateway.RestApi;
  /** `POST` here (SigV4-signed, `execute-api:Invoke`). */
  readonly ingestMethod: apigateway.Method;
  /** OTLP/HTTP on the same API and stage: `POST /v1/metrics`, `POST /v1/logs` (./otlp-ingest.ts). */
  readonly otlp: OtlpIngest;
  readonly accessLogs: logs.LogGroup;
  /** The stage's execution logs (errors only, no bodies), created here to give them a retention. */
  readonly executionLogs: logs.LogGroup;
  readonly dropBucket: s3.Bucket;
  /** The drop bucket's notifications of `incoming/`, read by {@link fileDrop}. */
  readonly fileDropQueue: sqs.Queue;
  /** Notifications that failed every receive (their files are under `failed/`). */
  readonly fileDropDeadLetters: sqs.Queue;
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
    this.accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: LOG_RETENTION_DAYS as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = this.addApi(props);
    this.executionLogs = this.addExecutionLogs(props);
    this.ingestMethod = this.addIngestMethod();
    this.otlp = new OtlpIngest(this, 'Otlp', {
      api: this.api,
      wireSource: (fn) => {
        this.useStream(fn, props.stream);
        this.useIdempotencyTable(fn);
      },
    });

    this.dropBucket = pulseBucket(this, 'DropBucket', 'drop', {
      lifecycleRules: [
        {
          id: 'incoming',
          prefix: DROP_PREFIXES.incoming,
          noncurrentVersionExpiration: Duration.days(SOURCE_RESOURCES.dropNoncurrentDays),
          abortIncompleteMultipartUploadAfter: Duration.days(SOURCE_RESOURCES.dropIncompleteUploadDays),
          expiredObjectDeleteMarker: true,
        },
        ...[DROP_PREFIXES.processed, DROP_PREFIXES.failed].map((prefix) => ({
          id: prefix.replace('/', ''),
          prefix,
          expiration: Duration.days(SOURCE_RESOURCES.dropRetentionDays),
          noncurrentVersionExpiration: Duration.days(1),
        })),
      ],
    });
    this.fileDropDeadLetters = new sqs.Queue(this, 'FileDropDeadLetters', {
      ...SECURE_QUEUE,
      retentionPeriod: Duration.days(FILE_DROP_QUEUE_DEFAULTS.deadLetterRetentionDays),
    });
    acknowledge(this.fileDropDeadLetters, 'Serverless-SQSRedrivePolicy', 'fileDropDeadLetterQueueRedrive');
    const timeoutSeconds = SOURCE_RESOURCES.fileDrop.timeoutSeconds;
    this.fileDropQueue = new sqs.Queue(this, 'FileDropQueue', {
      ...SECURE_QUEUE,
      visibilityTimeout: Duration.seconds(
        FILE_DROP_QUEUE.visibilityPerTimeout * timeoutSeconds + FILE_DROP_QUEUE_DEFAULTS.maxBatchingWindowSeconds,
      ),
      retentionPeriod: Duration.days(FILE_DROP_QUEUE_DEFAULTS.retentionDays),
      deadLetterQueue: { queue: this.fileDropDeadLetters, maxReceiveCount: FILE_DROP_QUEUE.maxReceiveCount },
    });
    this.fileDrop = this.addFileDrop(props);
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

  private addApi(props: SourcesProps): apigateway.RestApi {
    const api = new apigateway.RestApi(this, 'IngestApi', {
      restApiName: `pulse-${props.stage}-ingest`,
      description: 'Pulse ingest API: POST /v1/events (IAM SigV4)',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Access logs need the account's API Gateway CloudWatch role (one per account and region; kept on delete).
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: props.settings.ingestRateLimit,
        throttlingBurstLimit: props.settings.ingestBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        // Execution logs of errors only, without data trace: request bodies (user data)
        // never reach CloudWatch.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: true,
      },
    });
    acknowledge(
      api.node.findChild('CloudWatchRole'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'apiGatewayCloudWatchRole',
    );
    acknowledge(api.deploymentStage, 'AwsSolutions-APIG3', 'apiWaf');
    // The stack outputs the events URL itself (IngestApiUrl): no second, generated output.
    api.node.tryRemoveChild('Endpoint');
    // Rejections by the gateway in the same `{"error": ...}` shape as the function's.
    api.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      templates: {
        'application/json': JSON.stringify({
          error: `body must be a JSON object with an "events" array of 1 to ${INGEST_DEFAULTS.maxEvents} events: send {"events": [ ... ]}`,
        }),
      },
    });
    api.addGatewayResponse('Throttled', {
      type: apigateway.ResponseType.THROTTLED,
      statusCode: '429',
      responseHeaders: { 'Retry-After': "'1'" },
      templates: {
        'application/json': JSON.stringify({ error: 'too many requests: retry with backoff' }),
      },
    });
    return api;
  }

  /**
   * The log group API Gateway writes the stage's execution logs to, created before the
   * stage so it has a retention (API Gateway would create it without one).
   */
  private addExecutionLogs(props: SourcesProps): logs.LogGroup {
    const group = new logs.LogGroup(this, 'ApiExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${props.stage}`,
      retention: LOG_RETENTION_DAYS as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api.deploymentStage.node.addDependency(group);
    return group;
  }

  private addIngestMethod(): apigateway.Method {
    let resource = this.api.root;
    for (const part of INGEST_PATH) resource = resource.addResource(part);
    const model = this.api.addModel('IngestRequestModel', {
      contentType: 'application/json',
      modelName: 'PulseIngestRequest',
      description: 'An object with 1 to maxEvents events; each event is validated by the function',
      schema: ingestBodySchema(),
    });
    const validator = this.api.addRequestValidator('IngestRequestValidator', {
      requestValidatorName: 'body-and-headers',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const method = resource.addMethod('POST', new apigateway.LambdaIntegration(this.ingest, { proxy: true }), {
      authorizationType: apigateway.AuthorizationType.IAM,
      requestValidator: validator,
      requestModels: { 'application/json': model },
      requestParameters: { 'method.request.header.Idempotency-Key': false },
    });
    acknowledge(method, 'AwsSolutions-COG4', 'apiCognito');
    return method;
  }

  /**
   * Reads the drop queue with partial batch responses, and sets the queue's maxReceiveCount
   * (at that receive the handler moves a failing file to failed/) in the environment, together.
   */
  private readDropQueue(fn: lambda.Function): void {
    const d = FILE_DROP_QUEUE_DEFAULTS;
    fn.addEventSource(
      new SqsEventSource(this.fileDropQueue, {
        batchSize: d.batchSize,
        maxBatchingWindow: Duration.seconds(d.maxBatchingWindowSeconds),
        maxConcurrency: d.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    for (const mapping of fn.node.children.filter((c) => c instanceof lambda.EventSourceMapping)) {
      acknowledge(mapping, 'Serverless-LambdaEventSourceMappingDestination', 'sqsMappingDestination');
    }
    fn.addEnvironment('PULSE_DROP_MAX_RECEIVES', String(FILE_DROP_QUEUE.maxReceiveCount));
  }

  /**
   * The drop queue as the bucket's notification destination, with S3's documented queue
   * policy: sqs:SendMessage alone, from this bucket in this account (`SqsDestination` would
   * also grant GetQueueAttributes and GetQueueUrl, and check only the bucket: a bucket ARN
   * names no account).
   */
  private dropQueueDestination(): s3.IBucketNotificationDestination {
    const queue = this.fileDropQueue;
    return {
      bind: (_scope, bucket) => {
        queue.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'DropBucketNotifications',
            principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
            actions: ['sqs:SendMessage'],
            resources: [queue.queueArn],
            conditions: {
              ArnEquals: { 'aws:SourceArn': bucket.bucketRef.bucketArn },
              StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
            },
          }),
        );
        // The queue and its policy first: S3 checks that it may send when the notification is set.
        return { arn: queue.queueArn, type: s3.BucketNotificationDestinationType.QUEUE, dependencies: [queue] };
      },
    };
  }

  private addFileDrop(props: SourcesProps): lambda.Function {
    const fn = this.sourceFunction(props, 'FileDrop', {
      entry: 'handlers/file-drop.ts',
      ...SOURCE_RESOURCES.fileDrop,
      description: 'Pulse file drop: CSV / JSON-lines files under incoming/ to the stream',
      invocation: 'sqs',
    });
    this.readDropQueue(fn);
    const objects = (prefix: string) => this.dropBucket.arnForObjects(`${prefix}*`);
    // Read (by version) and, after the copy, delete only what was dropped.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        // Tagging: CopyObject keeps a dropped file's tags, which needs reading them here and writing them there.
        actions: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:GetObjectTagging',
          's3:GetObjectVersionTagging',
          's3:DeleteObject',
        ],
        resources: [objects(DROP_PREFIXES.incoming)],
      }),
    );
    // Listing incoming/ only: S3 then answers NoSuchKey for a file already moved (the
    // handler's 'gone'), where without it the answer is AccessDenied and the event retries.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.dropBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${DROP_PREFIXES.incoming}*`] } },
      }),
    );
    // Write only the moved file and the errors file.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:PutObjectTagging'],
        resources: [objects(DROP_PREFIXES.processed), objects(DROP_PREFIXES.failed)],
      }),
    );
    // A corrected file dropped again removes its earlier errors file, and nothing else under failed/.
    const errorFiles = `${DROP_PREFIXES.failed}*${ERRORS_SUFFIX}`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [this.dropBucket.arnForObjects(errorFiles)] }),
    );
    if (fn.role)
      acknowledge(fn.role, `AwsSolutions-IAM5[Resource::${nagArn(this.dropBucket)}/${errorFiles}]`, 'dropObjects');
    for (const prefix of [DROP_PREFIXES.incoming, DROP_PREFIXES.processed, DROP_PREFIXES.failed]) {
      if (fn.role)
        acknowledge(fn.role, `AwsSolutions-IAM5[Resource::${nagArn(this.dropBucket)}/${prefix}*]`, 'dropObjects');
    }
    this.dropBucket.addEventNotification(s3.EventType.OBJECT_CREATED, this.dropQueueDestination(), {
      prefix: DROP_PREFIXES.incoming,
    });
    // The stack-wide handler CDK adds to configure bucket notifications.
    for (const handler of Stack.of(this).node.children.filter((c) =>
      c.node.id.startsWith('BucketNotificationsHandler'),
    )) {
      acknowledge(
        handler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'bucketNotificationsRole',
      );
    }
    return fn;
  }
}
