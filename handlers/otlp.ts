/** OTLP/HTTP ingest Lambda (API Gateway REST proxy): POST /v1/metrics and /v1/logs → events on the stream. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { requireEnv } from '#core/config/env.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { PULSE_NAMESPACE, SOURCE_SERVICES } from '#core/metrics/names.js';
import { otlpHandler } from './lib/otlp.js';

export const handler = otlpHandler({
  target: {
    kinesis: createKinesisClient(),
    streamName: requireEnv(process.env, 'PULSE_STREAM_NAME'),
    registry: SchemaRegistry.load(),
  },
  store: { ddb: createDynamoClient(), tableName: requireEnv(process.env, 'PULSE_IDEMPOTENCY_TABLE') },
  logger: new Logger({ serviceName: SOURCE_SERVICES.otlp }),
  metrics: new Metrics({ namespace: PULSE_NAMESPACE, serviceName: SOURCE_SERVICES.otlp }),
});
