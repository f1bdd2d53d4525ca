/**
 * The read API of the windows, used by the dashboard and the CLI: one series
 * over a time range, every host of a metric over a time range (GSI `by-metric`),
 * and log counts. Windows come with p50/p95/p99 and whether they are final.
 *
 * Finality is derived, not written: a window is final once the watermark of
 * every shard that can still feed it (every checkpoint without a child) has
 * passed its end plus the allowed lateness. Writing a `final` flag would cost a
 * second write per window; the watermarks already say it exactly.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { queryAll } from '../clients/dynamodb.js';
import { percentiles, sumOf } from '../windows/aggregates.js';
import type { WindowingConfig } from '../windows/config.js';
import { isWindowFinal, NO_WATERMARK } from '../windows/watermark.js';
import { CheckpointStore } from './checkpoints.js';
import { logSeriesKey, metricIndexKey, metricSeriesKey, startKey, WINDOW_TABLE } from './table.js';
import { fromAttributes } from './window-items.js';

/** One window as the read API returns it. */
export interface WindowView {
  /** metric name, or service/host for log counts. */
  series: string;
  /** host (metrics) or level (logs). */
  host: string;
  start: number;
  end: number;
  count: number;
  sum: number | null;
  avg: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
  lastAt: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  final: boolean;
}

/** A time range `[from, to)` in epoch ms, over windows of one size. */
export interface RangeQuery {
  sizeMs: number;
  from: number;
  to: number;
}

/** Reads windows (see the module comment). */
export class WindowReader {
  private readonly checkpoints: CheckpointStore;

  constructor(
    private readonly ddb: Pick<DynamoDBClient, 'send'>,
    private readonly tableName: string,
    private readonly config: Pick<WindowingConfig, 'allowedLatenessMs'>,
  ) {
    this.checkpoints = new CheckpointStore(ddb, tableName);
  }

  /** The watermark every live shard has passed (min over checkpoints that have no child). */
  async watermark(): Promise<number> {
    const all = await this.checkpoints.all();
    const parents = new Set(all.flatMap((c) => c.parents));
    const live = all.filter((c) => !parents.has(c.shardId));
    return live.length === 0 ? NO_WATERMARK : Math.min(...live.map((c) => c.state.watermark));
  }

  /** Windows of one metric on one host, oldest first. */
  async series(q: RangeQuery & { metric: string; host: string }): Promise<WindowView[]> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: {
        ':pk': { S: metricSeriesKey(q.metric, q.host, q.sizeMs) },
        ':a': { S: startKey(q.from) },
        ':b': { S: startKey(Math.max(q.from, q.to - 1)) },
      },
    });
    return this.views(items);
  }

  /** Windows of one metric on every host, ordered by time then host. */
  async metricAcrossHosts(q: RangeQuery & { metric: string }): Promise<WindowView[]> {
    const { name, partitionKey, sortKey } = WINDOW_TABLE.byMetricIndex;
    const items = await this.query({
      IndexName: name,
      KeyConditionExpression: `${partitionKey} = :pk AND ${sortKey} BETWEEN :a AND :b`,
      ExpressionAttributeValues: {
        ':pk': { S: metricIndexKey(q.metric, q.sizeMs) },
        ':a': { S: `${startKey(q.from)}#` },
        ':b': { S: `${startKey(Math.max(q.from, q.to - 1))}#~` },
      },
    });
    return this.views(items);
  }

  /** Log counts of one service (or host, when the hot path runs with `logCountsByHost`) at one level, oldest first. */
  async logCounts(q: RangeQuery & { by: 'service' | 'host'; name: string; level: string }): Promise<WindowView[]> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: {
        ':pk': { S: logSeriesKey(q.by, q.name, q.level, q.sizeMs) },
        ':a': { S: startKey(q.from) },
        ':b': { S: startKey(Math.max(q.from, q.to - 1)) },
      },
    });
    return this.views(items);
  }

  /**
   * Events counted in windows of one size (metric windows plus log windows by
   * service), by scanning the table: for local runs and conservation checks.
   */
  async countWindowed(sizeMs: number): Promise<{ events: number; windows: number }> {
    let events = 0;
    let windows = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.ddb.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#size = :s AND (kind = :m OR kind = :l)',
          ExpressionAttributeNames: { '#size': 'size' },
          ExpressionAttributeValues: { ':s': { N: String(sizeMs) }, ':m': { S: 'metric' }, ':l': { S: 'log-service' } },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        events += Number(item.n?.N ?? 0);
        windows++;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { events, windows };
  }

  private async views(items: Record<string, AttributeValue>[]): Promise<WindowView[]> {
    const watermark = items.length > 0 ? await this.watermark() : NO_WATERMARK;
    return items.map((attrs) => {
      const item = fromAttributes(attrs);
      const { key } = item;
      const m = item.metric;
      const p = m ? percentiles(m) : { p50: null, p95: null, p99: null };
      return {
        series: key.a,
        host: key.b,
        start: key.start,
        end: key.start + key.size,
        count: item.count,
        sum: m ? sumOf(m) : null,
        avg: m && m.count > 0 ? sumOf(m) / m.count : null,
        min: m ? m.min : null,
        max: m ? m.max : null,
        last: m ? m.last : null,
        lastAt: m ? m.lastAt : null,
        ...p,
        final: isWindowFinal(key.start + key.size, watermark, this.config.allowedLatenessMs),
      };
    });
  }

  private query(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  ): Promise<Record<string, AttributeValue>[]> {
    return queryAll(this.ddb, { ...input, TableName: this.tableName });
  }
}
