/**
 * The HTTP ingest API of the sources: API Gateway REST, IAM (SigV4) auth, body
 * validation, stage throttling, JSON access logs and error-only execution logs, in front
 * of the ingest function.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { INGEST_DEFAULTS } from '#core/sources/http-api.js';
import type { PulseConfig } from '#infra/config.js';
import { acknowledge, LOG_RETENTION_DAYS } from '#infra/defaults.js';

/** The ingest API's path, below the stage. */
export const INGEST_PATH = ['v1', 'events'] as const;

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

/** What {@link addIngestApi} makes. */
export interface IngestApi {
  api: apigateway.RestApi;
  /** `POST` here (SigV4-signed, `execute-api:Invoke`). */
  method: apigateway.Method;
  accessLogs: logs.LogGroup;
  /** The stage's execution logs (errors only, no bodies), created here to give them a retention. */
  executionLogs: logs.LogGroup;
}

/**
 * Makes the ingest API in `scope` (the Sources construct: the logical ids name it) in front
 * of `fn`, with the stage `stage` throttled as `settings` say.
 */
export function addIngestApi(
  scope: Construct,
  { stage, settings, fn }: { stage: string; settings: PulseConfig['sources']; fn: lambda.IFunction },
): IngestApi {
  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', {
    retention: LOG_RETENTION_DAYS as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const api = restApi(scope, stage, settings, accessLogs);
  const executionLogs = addExecutionLogs(scope, api, stage);
  return { api, method: addIngestMethod(api, fn), accessLogs, executionLogs };
}

function restApi(
  scope: Construct,
  stage: string,
  settings: PulseConfig['sources'],
  accessLogs: logs.LogGroup,
): apigateway.RestApi {
  const api = new apigateway.RestApi(scope, 'IngestApi', {
    restApiName: `pulse-${stage}-ingest`,
    description: 'Pulse ingest API: POST /v1/events (IAM SigV4)',
    endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
    // Access logs need the account's API Gateway CloudWatch role (one per account and region; kept on delete).
    cloudWatchRole: true,
    cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
    deployOptions: {
      stageName: stage,
      throttlingRateLimit: settings.ingestRateLimit,
      throttlingBurstLimit: settings.ingestBurstLimit,
      accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
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
function addExecutionLogs(scope: Construct, api: apigateway.RestApi, stage: string): logs.LogGroup {
  const group = new logs.LogGroup(scope, 'ApiExecutionLogs', {
    logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${stage}`,
    retention: LOG_RETENTION_DAYS as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  api.deploymentStage.node.addDependency(group);
  return group;
}

/** `POST /v1/events`: IAM auth, the body model and its validator, the function behind it. */
function addIngestMethod(api: apigateway.RestApi, fn: lambda.IFunction): apigateway.Method {
  let resource = api.root;
  for (const part of INGEST_PATH) resource = resource.addResource(part);
  const model = api.addModel('IngestRequestModel', {
    contentType: 'application/json',
    modelName: 'PulseIngestRequest',
    description: 'An object with 1 to maxEvents events; each event is validated by the function',
    schema: ingestBodySchema(),
  });
  const validator = api.addRequestValidator('IngestRequestValidator', {
    requestValidatorName: 'body-and-headers',
    validateRequestBody: true,
    validateRequestParameters: true,
  });
  const method = resource.addMethod('POST', new apigateway.LambdaIntegration(fn, { proxy: true }), {
    authorizationType: apigateway.AuthorizationType.IAM,
    requestValidator: validator,
    requestModels: { 'application/json': model },
    requestParameters: { 'method.request.header.Idempotency-Key': false },
  });
  acknowledge(method, 'AwsSolutions-COG4', 'apiCognito');
  return method;
}
