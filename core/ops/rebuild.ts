/**
 * Rebuild: re-derives the window table from the log. The whole stream (from
 * TRIM_HORIZON, so every watermark and producer mark is rebuilt as the live
 * projection built it) goes through the real projection into a fresh table; the
 * windows of a time range are then compared with the live table, item by item, on
 * what they hold (count, sum, min, max, last, sketch), and optionally copied over
 * the live ones (in place). Exact as long as the stream's retention still covers
 * everything the live projection ever read.
 *
 * Rebuilding from the Parquet archive (beyond the retention) is not done yet.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createKinesisBatchHandler } from '../../handlers/lib/kinesis-batch.js';
import type { SchemaRegistry } from '../contract/registry.js';
import { KinesisEventSourceMapping, MemoryDestination } from '../local/event-source-mapping.js';
import { kinesisParentsOf } from '../projections/lineage.js';
import { WindowProjection } from '../projections/window-projection.js';
import type { WindowingConfig } from '../windows/config.js';

/** Attributes that say what a window holds (not how it got there: version, fences, expiry). */
const CONTENT = ['kind', 'a', 'b', 'size', 'ws', 'we', 'n', 'sum', 'min', 'max', 'last', 'lastAt', 'sketch'];

/** What a rebuild did. */
export interface RebuildResult {
  /** Windows in the range, in the rebuilt table. */
  windows: number;
  /** Events in the range's finest windows of the rebuilt table. */
  events: number;
  /** Windows whose content differs from the live table's (missing on either side included). */
  differing: { pk: string; sk: string }[];
  /** Windows copied over the live table (in place only). */
  copied: number;
}

/** Settings of a rebuild. */
export interface RebuildOptions {
  kinesis: KinesisClient;
  streamName: string;
  ddb: DynamoDBClient;
  /** The live window table. */
  liveTable: string;
  /** A fresh, empty table with the window table's definition. */
  freshTable: string;
  registry: SchemaRegistry;
  config: WindowingConfig;
  /** Event-time range of the windows to compare (and copy), epoch ms, [from, to). */
  from: number;
  to: number;
  /** Copy the rebuilt windows of the range over the live ones. */
  inPlace?: boolean;
  /** Told the records done so far (a progress bar). */
  onProgress?: (records: number) => void;
}

async function windowsInRange(
  ddb: DynamoDBClient,
  table: string,
  from: number,
  to: number,
): Promise<Map<string, Record<string, AttributeValue>>> {
  const out = new Map<string, Record<string, AttributeValue>>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'attribute_exists(kind) AND ws >= :from AND ws < :to',
        ExpressionAttributeValues: { ':from': { N: String(from) }, ':to': { N: String(to) } },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) out.set(`${item.pk?.S}|${item.sk?.S}`, item);
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

function content(item: Record<string, AttributeValue> | undefined): string {
  if (!item) return '';
  return JSON.stringify(
    CONTENT.map((name) => {
      const v = item[name];
      return v?.B ? Buffer.from(v.B).toString('base64') : (v?.N ?? v?.S ?? null);
    }),
  );
}

/** See the module comment. */
export async function rebuild(o: RebuildOptions): Promise<RebuildResult> {
  const projection = new WindowProjection({
    ddb: o.ddb,
    tableName: o.freshTable,
    registry: o.registry,
    config: o.config,
    parentsOf: kinesisParentsOf(o.kinesis, o.streamName),
  });
  const quiet = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const metrics = new Metrics({ namespace: 'Pulse', serviceName: 'rebuild' });
  if (quiet === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = quiet;
  const handler = createKinesisBatchHandler({
    projection,
    logger: new Logger({ serviceName: 'rebuild', logLevel: 'WARN' }),
    metrics,
  });
  let records = 0;
  const failures = new MemoryDestination();
  await new KinesisEventSourceMapping({
    kinesis: o.kinesis,
    streamName: o.streamName,
    batchSize: 1_000,
    retryAttempts: -1,
    onFailure: failures,
    fn: async (event) => {
      const out = await handler(event);
      records += event.Records.length;
      o.onProgress?.(records);
      return out;
    },
  }).drain();
  const rebuilt = await windowsInRange(o.ddb, o.freshTable, o.from, o.to);
  const live = await windowsInRange(o.ddb, o.liveTable, o.from, o.to);
  const differing: RebuildResult['differing'] = [];
  for (const key of new Set([...rebuilt.keys(), ...live.keys()])) {
    if (content(rebuilt.get(key)) !== content(live.get(key))) {
      const [pk = '', sk = ''] = key.split('|');
      differing.push({ pk, sk });
    }
  }
  let copied = 0;
  if (o.inPlace) {
    for (const item of rebuilt.values()) {
      await o.ddb.send(new PutItemCommand({ TableName: o.liveTable, Item: item }));
      copied++;
    }
  }
  const finest = Math.min(...o.config.windowSizesMs);
  let events = 0;
  for (const item of rebuilt.values()) {
    if (item.size?.N === String(finest) && (item.kind?.S === 'metric' || item.kind?.S === 'log-service')) {
      events += Number(item.n?.N ?? 0);
    }
  }
  return { windows: rebuilt.size, events, differing, copied };
}
