/** HTTP ingest API Lambda (API Gateway REST proxy): POST /v1/events → validated events on the stream. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { requireEnv } from '#core/config/env.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { PULSE_NAMESPACE } from '#core/metrics/names.js';
import { ingestHandler } from './lib/sources.js';
import { SOURCE_SERVICES } from '#core/metrics/names.js';

export const handler = ingestHandler({
  target: {
    kinesis: createKinesisClient(),
    streamName: requireEnv(process.env, 'PULSE_STREAM_NAME'),
    registry: SchemaRegistry.load(),
  },
  store: { ddb: createDynamoClient(), tableName: requireEnv(process.env, 'PULSE_IDEMPOTENCY_TABLE') },
  logger: new Logger({ serviceName: SOURCE_SERVICES.ingest }),
  metrics: new Metrics({ namespace: PULSE_NAMESPACE, serviceName: SOURCE_SERVICES.ingest }),
});
