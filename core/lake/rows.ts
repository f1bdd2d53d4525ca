/**
 * Lake rows: one flat JSON object per event with the lake column names, and the
 * event-time partition keys. Timestamps are epoch milliseconds (Firehose's Hive
 * JSON deserializer reads them with `TimestampFormats: ["millis"]`).
 */
import type { EventOf, EventType } from '#core/contract/events.js';

/** Partition keys of a row: UTC year, month, day, hour of `occurred_at`, zero-padded. */
export interface PartitionKeys {
  year: string;
  month: string;
  day: string;
  hour: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Event-time partition keys (Firehose's own `!{timestamp}` would be arrival time). */
export function partitionKeysOf(occurredAtMs: number): PartitionKeys {
  const d = new Date(occurredAtMs);
  return {
    year: String(d.getUTCFullYear()),
    month: pad(d.getUTCMonth() + 1),
    day: pad(d.getUTCDate()),
    hour: pad(d.getUTCHours()),
  };
}

/** The hive prefix of partition keys: `year=2026/month=11/day=22/hour=07/`. */
export function hivePrefix(k: PartitionKeys): string {
  return `year=${k.year}/month=${k.month}/day=${k.day}/hour=${k.hour}/`;
}

/** Where an event sits in the stream (Firehose's `kinesisRecordMetadata`). */
export interface StreamPlace {
  shardId: string;
  sequenceNumber: string;
  subsequenceNumber: number;
}

/**
 * Fields left out of a row when null: a plain sample's `"histogram":null,` is 17 bytes of
 * a ~470-byte row that Firehose's format conversion bills by the gigabyte, and its JSON
 * deserializer (as DuckDB's reader locally) reads a missing key as null.
 */
const OMITTED_WHEN_NULL = new Set(['histogram']);

/**
 * The lake row of an event: its fields with Dates as epoch ms, plus `arrived_at`
 * and its place in the stream (null columns when it did not come from a stream);
 * a null histogram is left out (null in the table all the same).
 */
export function lakeRow<T extends EventType>(
  event: EventOf[T],
  arrivedAtMs: number,
  place?: StreamPlace,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const k in event) {
    const v = (event as unknown as Record<string, unknown>)[k];
    if (v === null && OMITTED_WHEN_NULL.has(k)) continue;
    row[k] = v instanceof Date ? v.getTime() : v;
  }
  row.arrived_at = arrivedAtMs;
  row.shard_id = place?.shardId ?? null;
  row.sequence_number = place?.sequenceNumber ?? null;
  row.subsequence_number = place?.subsequenceNumber ?? null;
  return row;
}
