/**
 * The window table, defined once as data: the CDK construct and local mode both
 * create it from this definition, so they cannot drift.
 *
 * Single table, string keys, no secondary index:
 *
 * | item | pk | sk |
 * |---|---|---|
 * | host window (all of a host's metrics, and its log counts with `logCountsByHost`) | `F#<sizeMs>#<span start>#<bucket>` | `<window start>#<host>` |
 * | service window (log counts by level) | `S#<service>#<sizeMs>` | window start |
 * | shard checkpoint | `CHECKPOINT` | shard id |
 * | quarantined record | `QUARANTINE#<shardId>#<0…7>` (FNV-1a of the position) | position |
 * | late event | `LATE#<shardId>` | `<sizeMs>#<position>` |
 *
 * Window starts are 13-digit, zero-padded epoch ms. Host windows are laid out for the
 * fleet: one partition holds every host of one hash bucket (of {@link FLEET_BUCKETS})
 * over one span (an hour for windows up to an hour, else a day), so the fleet over a
 * time range is a few Queries, and one host's windows are keys computed from its name
 * (BatchGetItem). An index by metric, as the table had, cost a second write per item
 * write: with packed items it would have doubled the hot path's write units.
 * The buckets spread a minute's writes of the whole fleet over several partition keys
 * (a key takes at most 1,000 write units a second): see {@link FLEET_BUCKETS}.
 * `ttl` (epoch seconds) expires window items 30 days (default) after the window ends, and late events
 * and quarantined records 30 days after they were written.
 */
import type { WindowItemKey } from '#core/windows/fold.js';

/** Attribute names of the window table. */
export const WINDOW_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
} as const;

/**
 * Hash buckets of host windows per span. Every shard flushes at the same tumbling-window
 * boundary, so a fleet's minute arrives as one burst: 16 keys take 16,000 write units a
 * second (1,000 each), a 10,000-host fleet's minute in under a second. Reading the fleet
 * costs one Query per bucket and span.
 */
export const FLEET_BUCKETS = 16;

/** Zero-padded 13-digit window start: string sort = time order until the year 2286. */
export function startKey(start: number): string {
  return String(start).padStart(13, '0');
}

/** Span of one host-window partition for a window size: an hour for windows up to an hour, else a day. */
export function spanOf(sizeMs: number): number {
  return sizeMs <= 3_600_000 && 3_600_000 % sizeMs === 0 ? 3_600_000 : 86_400_000;
}

/** Bucket of a host (FNV-1a of its name). */
export function bucketOf(host: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) {
    h ^= host.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % FLEET_BUCKETS;
}

/** Partition key of the host windows of one bucket, size and span. */
export function fleetPartitionKey(sizeMs: number, spanStart: number, bucket: number): string {
  return `F#${sizeMs}#${startKey(spanStart)}#${bucket}`;
}

/** Partition key of a service's log windows of one size. */
export function serviceSeriesKey(service: string, sizeMs: number): string {
  return `S#${service}#${sizeMs}`;
}

/** Primary key of a window item. */
export function windowItemKey(k: WindowItemKey): { pk: string; sk: string } {
  if (k.kind === 'service') return { pk: serviceSeriesKey(k.name, k.size), sk: startKey(k.start) };
  const span = spanOf(k.size);
  const spanStart = Math.floor(k.start / span) * span;
  return { pk: fleetPartitionKey(k.size, spanStart, bucketOf(k.name)), sk: `${startKey(k.start)}#${k.name}` };
}

/** Partition key of the shard checkpoints. */
export const CHECKPOINT_PK = 'CHECKPOINT';

/** CreateTable input for the window table (on-demand), as local mode issues it. */
export function createTableInput(tableName: string) {
  const { partitionKey, sortKey } = WINDOW_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' as const },
      { AttributeName: sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: sortKey, KeyType: 'RANGE' as const },
    ],
  };
}
