/**
 * Where the lake puts objects, shared by the Firehose delivery streams (CDK) and
 * local delivery so both write the same keys.
 */
import { LAKE_TABLES } from './columns.js';
import type { EventType } from '#core/contract/events.js';

/** Firehose prefix of a table: event-time partitions from the transform's partition keys. */
export function firehosePrefix(type: EventType): string {
  return `${LAKE_TABLES[type]}/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/`;
}

/** Firehose error prefix of a table (arrival-time partitions; Firehose fills the error type). */
export function firehoseErrorPrefix(type: EventType): string {
  return `errors/${LAKE_TABLES[type]}/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`;
}

/** The same error prefix with its values filled in, as local delivery writes it. */
export function errorPrefix(type: EventType, errorType: string, arrivalMs: number): string {
  const d = new Date(arrivalMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `errors/${LAKE_TABLES[type]}/${errorType}/year=${d.getUTCFullYear()}/month=${p(d.getUTCMonth() + 1)}/day=${p(d.getUTCDate())}/hour=${p(d.getUTCHours())}/`;
}
