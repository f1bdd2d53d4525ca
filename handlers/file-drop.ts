/**
 * S3 file-drop Lambda: SQS messages of the drop bucket's notifications → each CSV /
 * JSON-lines file under incoming/ → events on the stream, once per object version.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { createS3Client } from '#core/clients/s3.js';
import { requireEnv, requireIntEnv } from '#core/config/env.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { PULSE_NAMESPACE } from '#core/metrics/names.js';
import { fileDropHandler } from './lib/file-drop.js';
import { SOURCE_SERVICES } from '#core/metrics/names.js';

export const handler = fileDropHandler({
  s3: createS3Client(),
  target: {
    kinesis: createKinesisClient(),
    streamName: requireEnv(process.env, 'PULSE_STREAM_NAME'),
    registry: SchemaRegistry.load(),
  },
  store: { ddb: createDynamoClient(), tableName: requireEnv(process.env, 'PULSE_IDEMPOTENCY_TABLE') },
  // The queue's redrive maxReceiveCount (infra/constructs/sources.ts sets both).
  maxReceiveCount: requireIntEnv(process.env, 'PULSE_DROP_MAX_RECEIVES', 1, 1_000),
  logger: new Logger({ serviceName: SOURCE_SERVICES.fileDrop }),
  metrics: new Metrics({ namespace: PULSE_NAMESPACE, serviceName: SOURCE_SERVICES.fileDrop }),
});
