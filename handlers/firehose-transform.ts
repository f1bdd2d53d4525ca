/** Firehose transform Lambda: single-object Avro → JSON rows with event-time partition keys (core/lake/transform.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { requireEnv } from '../core/config/env.js';
import { EVENT_TYPES, type EventType } from '../core/contract/events.js';
import { SchemaRegistry } from '../core/contract/registry.js';
import { EnvError } from '../core/config/env.js';
import { type FirehoseInputRecord, LakeTransform } from '../core/lake/transform.js';

const eventType = requireEnv(process.env, 'PULSE_EVENT_TYPE') as EventType;
if (!EVENT_TYPES.includes(eventType))
  throw new EnvError(`PULSE_EVENT_TYPE must be one of ${EVENT_TYPES.join(', ')}, got '${eventType}'`);
const transform = new LakeTransform(SchemaRegistry.load(), eventType);
const logger = new Logger({ serviceName: 'firehose-transform' });

export const handler = async (event: { records: FirehoseInputRecord[] }) => {
  const records = transform.transform(event.records);
  const failed = records.filter((r) => r.result === 'ProcessingFailed');
  // Counts and reasons only, never the record bytes.
  if (failed.length > 0)
    logger.warn('records failed', { failed: failed.length, reasons: [...new Set(failed.map((r) => r.errorMessage))] });
  return { records: records.map(({ errorMessage: _reason, ...r }) => r) };
};
