/**
 * The window table, defined once as data: the CDK construct and local mode both
 * create it from this definition, so they cannot drift.
 *
 * Single table, string keys:
 *
 * | item | pk | sk | GSI `by-metric` (gpk, gsk) |
 * |---|---|---|---|
 * | metric window | `M#<metric>#<host>#<sizeMs>` | window start, 13-digit ms | `M#<metric>#<sizeMs>`, `<start>#<host>` |
 * | log window by service | `LS#<service>#<level>#<sizeMs>` | window start | — |
 * | log window by host (with `logCountsByHost`) | `LH#<host>#<level>#<sizeMs>` | window start | — |
 * | shard checkpoint | `CHECKPOINT` | shard id | — |
 * | quarantined record | `QUARANTINE#<shardId>` | position | — |
 * | late event | `LATE#<shardId>` | `<sizeMs>#<position>` | — |
 *
 * Query one series over a time range: `pk = M#cpu_utilization#server-001#60000 AND sk BETWEEN from AND to`.
 * Every host of one metric over a time range: GSI `by-metric`,
 * `gpk = M#cpu_utilization#60000 AND gsk BETWEEN <from># AND <to>#~`.
 * `ttl` (epoch seconds) expires window items and late events 30 days (default) after the window ends.
 */

/** Attribute and index names of the window table. */
export const WINDOW_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  byMetricIndex: { name: 'by-metric', partitionKey: 'gpk', sortKey: 'gsk' },
} as const;

/** Zero-padded 13-digit window start: string sort = time order until the year 2286. */
export function startKey(start: number): string {
  return String(start).padStart(13, '0');
}

/** Partition key of a metric series. */
export function metricSeriesKey(metric: string, host: string, sizeMs: number): string {
  return `M#${metric}#${host}#${sizeMs}`;
}

/** GSI partition key: every host of one metric at one window size. */
export function metricIndexKey(metric: string, sizeMs: number): string {
  return `M#${metric}#${sizeMs}`;
}

/** Partition key of a log-count series, by service or by host. */
export function logSeriesKey(by: 'service' | 'host', name: string, level: string, sizeMs: number): string {
  return `${by === 'service' ? 'LS' : 'LH'}#${name}#${level}#${sizeMs}`;
}

/** Partition key of the shard checkpoints. */
export const CHECKPOINT_PK = 'CHECKPOINT';

/** CreateTable input for the window table (on-demand), as local mode issues it. */
export function createTableInput(tableName: string) {
  const { partitionKey, sortKey, byMetricIndex } = WINDOW_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' as const },
      { AttributeName: sortKey, AttributeType: 'S' as const },
      { AttributeName: byMetricIndex.partitionKey, AttributeType: 'S' as const },
      { AttributeName: byMetricIndex.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: byMetricIndex.name,
        KeySchema: [
          { AttributeName: byMetricIndex.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: byMetricIndex.sortKey, KeyType: 'RANGE' as const },
        ],
        // Dashboards read aggregates and percentiles from the index, so it carries every attribute.
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}
