import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OTLP_FUNCTION, OTLP_MINIMUM_COMPRESSION_BYTES } from '#infra/constructs/otlp-ingest.js';
import { synthTemplate } from '#test/helpers/synth.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

describe('OTLP ingest infrastructure', () => {
  const t = synthTemplate();
  const fnId = Object.keys(t.findResources('AWS::Lambda::Function')).find((id) => id.startsWith('SourcesOtlpFunction'));

  it('is one function of its own, wired to the stream and the idempotency table like every source', () => {
    expect(fnId).toBeDefined();
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Pulse OTLP/HTTP ingest: POST /v1/metrics and /v1/logs to the stream',
      MemorySize: OTLP_FUNCTION.memoryMb,
      Timeout: OTLP_FUNCTION.timeoutSeconds,
      Environment: {
        Variables: Match.objectLike({
          PULSE_STREAM_NAME: Match.anyValue(),
          PULSE_IDEMPOTENCY_TABLE: Match.anyValue(),
        }),
      },
    });
  });

  it('serves POST /v1/metrics and /v1/logs on the ingest API, IAM-authorized, proxied to that function', () => {
    const resources = t.findResources('AWS::ApiGateway::Resource');
    const byPath = (part: string) =>
      Object.keys(resources).filter((id) => (resources[id] as Resource).Properties.PathPart === part);
    // One /v1 for /v1/events, /v1/metrics and /v1/logs: the same API and stage.
    expect(byPath('v1')).toHaveLength(1);
    for (const part of ['metrics', 'logs']) {
      const [resourceId] = byPath(part);
      t.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        AuthorizationType: 'AWS_IAM',
        ResourceId: { Ref: resourceId },
        RestApiId: { Ref: Match.stringLikeRegexp('^SourcesIngestApi') },
        Integration: Match.objectLike({
          Type: 'AWS_PROXY',
          Uri: {
            'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [fnId, 'Arn'] }])],
          },
        }),
      });
    }
  });

  it('makes protobuf binary media and turns on request decompression on the API', () => {
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['application/x-protobuf'],
      MinimumCompressionSize: OTLP_MINIMUM_COMPRESSION_BYTES,
    });
  });

  it('grants producing and exactly the idempotency item actions, nothing else on data', () => {
    const fn = t.findResources('AWS::Lambda::Function')[fnId as string] as Resource;
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const actions = Object.values(t.findResources('AWS::IAM::Policy'))
      .map((p) => (p as Resource).Properties)
      .filter((p) => (p.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => (p.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement)
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))
      .sort();
    expect(actions).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'kinesis:ListShards',
        'kinesis:PutRecord',
        'kinesis:PutRecords',
        'kms:GenerateDataKey',
      ].sort(),
    );
  });
});
