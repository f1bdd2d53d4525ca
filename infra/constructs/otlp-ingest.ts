/**
 * OTLP/HTTP on the ingest API: `POST /v1/metrics` and `POST /v1/logs` on the same REST API
 * and stage as `/v1/events` (so the same stage throttling, access logs and IAM SigV4 auth),
 * served by a function of their own (handlers/otlp.ts).
 *
 * Why a function of its own rather than the ingest function: an OTLP request is up to 10,000
 * data points to decode and map (memory and CPU the `/v1/events` function, sized for 1,000
 * JSON events, does not need), a decoding failure or a gzip bomb stays away from
 * `/v1/events`, and its metrics and logs have their own `service` (otlp) for the dashboard
 * and the data-loss SLO.
 *
 * The API gets two settings OTLP needs: `application/x-protobuf` is a binary media type (the
 * function receives it base64-encoded, and its protobuf answers are returned as bytes to
 * clients that accept them); and request decompression (`minimumCompressionSize`), with
 * which API Gateway inflates a gzip body before the function (the function inflates one
 * that still arrives compressed).
 */
import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { OTLP_MEDIA_TYPES, OTLP_PATHS } from '#core/sources/http-api.js';
import { acknowledge } from '#infra/defaults.js';
import { pulseFunction } from '#infra/constructs/shared/pulse-function.js';

/** The OTLP function's size (API Gateway stops waiting after 29 s: a longer timeout would never be seen). */
export const OTLP_FUNCTION = { memoryMb: 1_024, timeoutSeconds: 29 } as const;

/**
 * Responses of at least this many bytes are gzip-compressed for clients that accept it;
 * setting it also turns on API Gateway's decompression of gzip request bodies.
 */
export const OTLP_MINIMUM_COMPRESSION_BYTES = 1_024;

/** Props of {@link OtlpIngest}. */
export interface OtlpIngestProps {
  /** The ingest API whose stage serves `/v1/events`. */
  api: apigateway.RestApi;
  /**
   * Wires a source function as every source function is (the stream and the idempotency
   * table: their variables and grants, together): `Sources` passes its own.
   */
  wireSource: (fn: lambda.Function) => void;
}

/** The OTLP function and its two methods on the ingest API. */
export class OtlpIngest extends Construct {
  readonly fn: lambda.Function;
  /** `POST /v1/metrics` (SigV4-signed, `execute-api:Invoke`). */
  readonly metricsMethod: apigateway.Method;
  /** `POST /v1/logs` (SigV4-signed, `execute-api:Invoke`). */
  readonly logsMethod: apigateway.Method;

  constructor(scope: Construct, id: string, props: OtlpIngestProps) {
    super(scope, id);
    this.fn = pulseFunction(this, 'Function', {
      entry: 'handlers/otlp.ts',
      ...OTLP_FUNCTION,
      description: 'Pulse OTLP/HTTP ingest: POST /v1/metrics and /v1/logs to the stream',
      invocation: 'api-gateway',
    });
    props.wireSource(this.fn);
    const cfn = props.api.node.defaultChild as apigateway.CfnRestApi;
    cfn.binaryMediaTypes = [
      ...new Set([...((cfn.binaryMediaTypes as string[] | undefined) ?? []), OTLP_MEDIA_TYPES.protobuf]),
    ];
    cfn.minimumCompressionSize = OTLP_MINIMUM_COMPRESSION_BYTES;
    const integration = new apigateway.LambdaIntegration(this.fn, { proxy: true, timeout: Duration.seconds(29) });
    const method = (path: string) => {
      let resource = props.api.root;
      for (const part of path.split('/').filter(Boolean))
        resource = resource.getResource(part) ?? resource.addResource(part);
      const m = resource.addMethod('POST', integration, { authorizationType: apigateway.AuthorizationType.IAM });
      acknowledge(m, 'AwsSolutions-COG4', 'apiCognito');
      return m;
    };
    this.metricsMethod = method(OTLP_PATHS.metrics);
    this.logsMethod = method(OTLP_PATHS.logs);
  }

  /** Lets `grantee` export metrics and logs (`execute-api:Invoke` on both methods). */
  grantExport(grantee: Parameters<apigateway.Method['grantExecute']>[0]): void {
    this.metricsMethod.grantExecute(grantee);
    this.logsMethod.grantExecute(grantee);
  }
}
