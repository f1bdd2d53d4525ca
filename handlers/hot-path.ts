/** Hot-path Lambda: Kinesis batches → event-time windows in DynamoDB (see core/projections/window-projection.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { requireEnv } from '#core/config/env.js';
import { HOT_PATH_EMF } from '#core/metrics/names.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { kinesisParentsOf } from '#core/projections/lineage.js';
import { WindowProjection } from '#core/projections/window-projection.js';
import { windowingConfigFromEnv } from '#core/windows/config.js';
import { HOT_PATH_ENV } from '#core/windows/env-names.js';
import { createKinesisBatchHandler } from './lib/kinesis-batch.js';

const tableName = requireEnv(process.env, HOT_PATH_ENV.windowTable);
const streamName = requireEnv(process.env, HOT_PATH_ENV.streamName);
const projection = new WindowProjection({
  ddb: createDynamoClient(),
  tableName,
  registry: SchemaRegistry.load(),
  config: windowingConfigFromEnv(process.env),
  parentsOf: kinesisParentsOf(createKinesisClient(), streamName),
});

export const handler = createKinesisBatchHandler({
  projection,
  logger: new Logger({ serviceName: HOT_PATH_EMF.service }),
  // The dashboard and alarms read these names from HOT_PATH_EMF too.
  metrics: new Metrics({ namespace: HOT_PATH_EMF.namespace, serviceName: HOT_PATH_EMF.service }),
});
