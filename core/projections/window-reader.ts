/**
 * The read API of the windows, used by the dashboard and the CLI: one series
 * over a time range (one host's items, by key), every host of a metric over a time
 * range (the fleet partitions of table.ts), and log counts. Windows come with
 * p50/p95/p99 and whether they are final; coarser sizes are derived from the finest
 * windows (window-views.ts).
 *
 * Finality is derived, not written: a window is final once the watermark of
 * every shard that can still feed it (every checkpoint without a child) has
 * passed its end plus the allowed lateness. Writing a `final` flag would cost a
 * second write per window; the watermarks already say it exactly.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { queryAll } from '#core/clients/dynamodb.js';
import { percentiles, sumOf } from '#core/windows/aggregates.js';
import type { WindowingConfig } from '#core/windows/config.js';
import { isWindowFinal, NO_WATERMARK } from '#core/windows/watermark.js';
import { CheckpointStore } from './checkpoints.js';
import { FLEET_BUCKETS, fleetPartitionKey, serviceSeriesKey, spanOf, startKey, windowItemKey } from './table.js';
import { fromAttributes, isWindowItem, type WindowItem } from './window-items.js';
import { itemsAtSize, expandItem, type SeriesWindow } from './window-views.js';

/** One window as the read API returns it. */
export interface WindowView {
  /** metric name, or service/host for log counts. */
  series: string;
  /** host (metrics) or level (logs). */
  host: string;
  start: number;
  end: number;
  /** Observations: one per plain sample, a histogram's count per histogram sample; log events for log counts. */
  count: number;
  /** Events: metric samples (a histogram sample is one) or log events. */
  samples: number;
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
  private readonly finest: number;

  constructor(
    private readonly ddb: Pick<DynamoDBClient, 'send'>,
    private readonly tableName: string,
    private readonly config: Pick<WindowingConfig, 'allowedLatenessMs' | 'windowSizesMs'>,
  ) {
    this.checkpoints = new CheckpointStore(ddb, tableName);
    this.finest = Math.min(...config.windowSizesMs);
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
    const items = await this.hostItems(q.host, q);
    return this.views(items, q, (w) => w.kind === 'metric' && w.series === q.metric);
  }

  /** Windows of one metric on every host, ordered by time then host. */
  async metricAcrossHosts(q: RangeQuery & { metric: string }): Promise<WindowView[]> {
    const items = await this.fleetItems(q);
    return this.views(items, q, (w) => w.kind === 'metric' && w.series === q.metric);
  }

  /**
   * Windows of every metric on every host, ordered by time then host: one read of the
   * fleet's items (each holds all of a host's metrics) for views of several metrics.
   */
  async metricsAcrossHosts(q: RangeQuery): Promise<WindowView[]> {
    const items = await this.fleetItems(q);
    return this.views(items, q, (w) => w.kind === 'metric');
  }

  /** Log counts of one service (or host, when the hot path runs with `logCountsByHost`) at one level, oldest first. */
  async logCounts(q: RangeQuery & { by: 'service' | 'host'; name: string; level: string }): Promise<WindowView[]> {
    const items = q.by === 'host' ? await this.hostItems(q.name, q) : await this.serviceItems(q.name, q);
    const kind = q.by === 'host' ? 'log-host' : 'log-service';
    return this.views(items, q, (w) => w.kind === kind && w.series === q.name && w.sub === q.level);
  }

  /**
   * Events counted in windows of one size (metric samples plus logs by service), by
   * scanning the table: for local runs and conservation checks.
   */
  async countWindowed(sizeMs: number): Promise<{ events: number; windows: number }> {
    const items: WindowItem[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.ddb.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#size = :f OR #size = :s',
          ExpressionAttributeNames: { '#size': 'size' },
          ExpressionAttributeValues: { ':f': { N: String(this.finest) }, ':s': { N: String(sizeMs) } },
          ExclusiveStartKey: start,
        }),
      );
      for (const attrs of page.Items ?? []) if (isWindowItem(attrs)) items.push(fromAttributes(attrs));
      start = page.LastEvaluatedKey;
    } while (start);
    let events = 0;
    let windows = 0;
    for (const item of itemsAtSize(items, sizeMs, this.finest)) {
      // a host's log counts (logCountsByHost) count the same logs as its service's
      for (const w of expandItem(item)) {
        if (w.kind === 'log-host') continue;
        events += w.count;
        windows++;
      }
    }
    return { events, windows };
  }

  /**
   * What to fetch for the windows of size `sizeMs` that start in [from, to): the sizes
   * (the finest, and the coarser size's corrections) and the time range, which runs to
   * the end of the last coarser window (its finest windows all count).
   */
  private starts(q: RangeQuery): { sizes: number[]; from: number; to: number } {
    const from = Math.ceil(q.from / q.sizeMs) * q.sizeMs;
    const to = Math.max(from, Math.ceil(q.to / q.sizeMs) * q.sizeMs);
    return { sizes: q.sizeMs === this.finest ? [this.finest] : [this.finest, q.sizeMs], from, to };
  }

  /** Items of one host: keys computed from its name, fetched with BatchGetItem. */
  private async hostItems(host: string, q: RangeQuery): Promise<WindowItem[]> {
    const { sizes, from, to } = this.starts(q);
    if (to <= from) return [];
    const keys: Record<string, AttributeValue>[] = [];
    for (const size of sizes) {
      for (let start = Math.ceil(from / size) * size; start < to; start += size) {
        const k = windowItemKey({ kind: 'host', name: host, size, start });
        keys.push({ pk: { S: k.pk }, sk: { S: k.sk } });
      }
    }
    const out: WindowItem[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, AttributeValue>[] = keys.slice(i, i + 100);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1_000, 20 * 2 ** attempt)));
        const page = await this.ddb.send(
          new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const attrs of page.Responses?.[this.tableName] ?? []) out.push(fromAttributes(attrs));
        pending = page.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return out;
  }

  /** Items of every host: one Query per bucket and span. */
  private async fleetItems(q: RangeQuery): Promise<WindowItem[]> {
    const { sizes, from, to } = this.starts(q);
    if (to <= from) return [];
    const queries: Promise<Record<string, AttributeValue>[]>[] = [];
    for (const size of sizes) {
      const span = spanOf(size);
      for (let spanStart = Math.floor(from / span) * span; spanStart < to; spanStart += span) {
        for (let bucket = 0; bucket < FLEET_BUCKETS; bucket++) {
          queries.push(
            this.query({
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
              ExpressionAttributeValues: {
                ':pk': { S: fleetPartitionKey(size, spanStart, bucket) },
                ':a': { S: `${startKey(from)}#` },
                ':b': { S: `${startKey(to - 1)}#\uffff` },
              },
            }),
          );
        }
      }
    }
    return (await Promise.all(queries)).flat().map(fromAttributes);
  }

  /** Items of one service: one Query per size. */
  private async serviceItems(service: string, q: RangeQuery): Promise<WindowItem[]> {
    const { sizes, from, to } = this.starts(q);
    if (to <= from) return [];
    const pages = await Promise.all(
      sizes.map((size) =>
        this.query({
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: {
            ':pk': { S: serviceSeriesKey(service, size) },
            ':a': { S: startKey(from) },
            ':b': { S: startKey(to - 1) },
          },
        }),
      ),
    );
    return pages.flat().map(fromAttributes);
  }

  private async views(
    items: WindowItem[],
    range: RangeQuery,
    wanted: (w: SeriesWindow) => boolean,
  ): Promise<WindowView[]> {
    const sizeMs = range.sizeMs;
    const windows = itemsAtSize(items, sizeMs, this.finest)
      .flatMap(expandItem)
      .filter((w) => wanted(w) && w.start >= range.from && w.start < range.to)
      .sort((a, b) => a.start - b.start || (a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0));
    const watermark = windows.length > 0 ? await this.watermark() : NO_WATERMARK;
    return windows.map((w) => {
      const m = w.metric;
      const p = m ? percentiles(m) : { p50: null, p95: null, p99: null };
      return {
        series: w.series,
        host: w.sub,
        start: w.start,
        end: w.start + w.size,
        count: m ? m.count : w.count,
        samples: w.count,
        sum: m ? sumOf(m) : null,
        avg: m && m.count > 0 ? sumOf(m) / m.count : null,
        // (histogram samples without observations leave a window with none)
        min: m && m.count > 0 ? m.min : null,
        max: m && m.count > 0 ? m.max : null,
        last: m ? m.last : null,
        lastAt: m ? m.lastAt : null,
        ...p,
        final: isWindowFinal(w.start + w.size, watermark, this.config.allowedLatenessMs),
      };
    });
  }

  private query(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  ): Promise<Record<string, AttributeValue>[]> {
    return queryAll(this.ddb, { ...input, TableName: this.tableName, ConsistentRead: true });
  }
}
