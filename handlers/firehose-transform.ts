/** Firehose transform Lambda: single-object Avro → JSON rows with event-time partition keys (core/lake/transform.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EnvError, requireEnv } from '#core/config/env.js';
import { EVENT_TYPES, type EventType } from '#core/contract/events.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { LakeTransform } from '#core/lake/transform.js';
import { PULSE_NAMESPACE } from '#core/metrics/names.js';
import { transformHandler } from './lib/lake-transform.js';
import { LAKE_TRANSFORM_SERVICE } from '#core/metrics/names.js';

const eventType = requireEnv(process.env, 'PULSE_EVENT_TYPE') as EventType;
if (!EVENT_TYPES.includes(eventType))
  throw new EnvError(`PULSE_EVENT_TYPE must be one of ${EVENT_TYPES.join(', ')}, got '${eventType}'`);

export const handler = transformHandler({
  transform: new LakeTransform(SchemaRegistry.load(), eventType),
  logger: new Logger({ serviceName: LAKE_TRANSFORM_SERVICE }),
  metrics: new Metrics({ namespace: PULSE_NAMESPACE, serviceName: LAKE_TRANSFORM_SERVICE }),
});
