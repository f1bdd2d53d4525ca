/** Scheduled collector Lambda: one EventBridge tick → the fleet's metrics on the stream, at most once per tick. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { requireEnv } from '#core/config/env.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { collectorConfig } from '#core/sources/collector.js';
import { PULSE_NAMESPACE } from '#core/metrics/names.js';
import { collectorHandler } from './lib/sources.js';
import { SOURCE_SERVICES } from '#core/metrics/names.js';

const logger = new Logger({ serviceName: SOURCE_SERVICES.collector });

export const handler = collectorHandler({
  target: {
    kinesis: createKinesisClient(),
    streamName: requireEnv(process.env, 'PULSE_STREAM_NAME'),
    registry: SchemaRegistry.load(),
  },
  store: { ddb: createDynamoClient(), tableName: requireEnv(process.env, 'PULSE_IDEMPOTENCY_TABLE') },
  config: collectorConfig({ hosts: Number(process.env.PULSE_COLLECTOR_HOSTS ?? 10) }),
  logger,
  metrics: new Metrics({ namespace: PULSE_NAMESPACE, serviceName: SOURCE_SERVICES.collector }),
});
