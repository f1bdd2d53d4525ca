/**
 * The oracle: windows computed in one clean, sequential pass over what each
 * shard holds, with no batching, fences, retries or DynamoDB. It defines the
 * truth the hot path must reproduce exactly:
 * - an event counts once per identity (producer_id, producer_seq), wherever its copies are;
 * - per shard, the watermark is the highest event time so far minus the
 *   out-of-orderness, and an event whose window already satisfies
 *   `end - 1 + lateness <= watermark` is late for that window size;
 * - an event more than the skew bound ahead of its record's arrival is quarantined.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { StreamDecoder } from '../../core/contract/consumer.js';
import type { SchemaRegistry } from '../../core/contract/registry.js';
import { listShards, readShard } from '../../core/local/streams.js';
import { DDSketch } from '@datadog/sketches-js';
import type { StreamEvent } from '../../core/contract/consumer.js';
import type { LogEvent, MetricSample } from '../../core/contract/events.js';
import { RELATIVE_ACCURACY } from '../../core/windows/sketch.js';

/** Expected content of one window item. */
export interface OracleWindow {
  count: number;
  sumMicros: bigint;
  min: number;
  max: number;
  last: number;
  lastAt: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

/** What one shard delivered, in order: events with their record's arrival time, and poison user records. */
export interface ShardLog {
  /** Indexes (in the shards array) of the shards this one was split or merged from. */
  parents?: number[];
  items: ({ kind: 'event'; event: StreamEvent; arrivalMs: number } | { kind: 'poison' })[];
}

/** Windows by item id (same ids as core/windows/fold.ts), plus side-output counts per window size. */
export interface OracleResult {
  windows: Map<string, OracleWindow>;
  late: Map<number, number>;
  quarantined: number;
  uniqueEvents: number;
}

/** Computes the oracle over shards processed one after another (parents before children, one lineage). */
export function oracle(
  shards: ShardLog[],
  config: {
    windowSizesMs: number[];
    outOfOrdernessMs: number;
    allowedLatenessMs: number;
    maxFutureSkewMs: number;
    logCountsByHost: boolean;
  },
): OracleResult {
  const seen = new Set<string>();
  const windows = new Map<string, OracleWindow & { sketch?: DDSketch }>();
  const late = new Map<number, number>(config.windowSizesMs.map((s) => [s, 0]));
  let quarantined = 0;
  const add = (id: string, value: number | null, at: number) => {
    let w = windows.get(id);
    if (!w) {
      w = { count: 0, sumMicros: 0n, min: Infinity, max: -Infinity, last: 0, lastAt: -Infinity };
      if (value !== null) w.sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
      windows.set(id, w);
    }
    w.count++;
    if (value === null) return;
    w.sumMicros += BigInt(Math.round(value * 1_000_000));
    w.min = Math.min(w.min, value);
    w.max = Math.max(w.max, value);
    if (at > w.lastAt || (at === w.lastAt && value > w.last)) {
      w.last = value;
      w.lastAt = at;
    }
    w.sketch?.accept(value);
  };
  const finalWatermark: number[] = [];
  for (const shard of shards) {
    // A child continues from its parents: the slower parent's watermark.
    const parentMarks = (shard.parents ?? []).map((p) => finalWatermark[p] ?? -Infinity);
    let watermark = parentMarks.length > 0 ? Math.min(...parentMarks) : -Infinity;
    for (const item of shard.items) {
      if (item.kind === 'poison') {
        quarantined++;
        continue;
      }
      const { event: e, arrivalMs } = item;
      const identity = `${e.event.producer_id}/${e.event.producer_seq}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      const t = e.event.occurred_at.getTime();
      if (t > arrivalMs + config.maxFutureSkewMs) {
        quarantined++;
        continue;
      }
      for (const size of config.windowSizesMs) {
        const start = Math.floor(t / size) * size;
        if (start + size - 1 + config.allowedLatenessMs <= watermark) {
          late.set(size, (late.get(size) ?? 0) + 1);
          continue;
        }
        if (e.type === 'MetricSample') {
          const m = e.event as MetricSample;
          add(`metric|${m.metric}|${m.host}|${size}|${start}`, m.value, t);
        } else {
          const l = e.event as LogEvent;
          add(`log-service|${l.service}|${l.level}|${size}|${start}`, null, t);
          if (config.logCountsByHost) add(`log-host|${l.host}|${l.level}|${size}|${start}`, null, t);
        }
      }
      watermark = Math.max(watermark, t - config.outOfOrdernessMs);
    }
    finalWatermark.push(watermark);
  }
  for (const w of windows.values()) {
    if (w.sketch) {
      w.p50 = w.sketch.getValueAtQuantile(0.5);
      w.p95 = w.sketch.getValueAtQuantile(0.95);
      w.p99 = w.sketch.getValueAtQuantile(0.99);
      delete w.sketch;
    }
  }
  return { windows, late, quarantined, uniqueEvents: seen.size };
}

/**
 * What the stream holds, per shard in stream order with its lineage (parents before
 * children), decoded with the consumer API: the oracle's input.
 */
export async function streamContent(
  kinesis: KinesisClient,
  registry: SchemaRegistry,
  streamName: string,
): Promise<ShardLog[]> {
  const decoder = new StreamDecoder(registry);
  const shards = await listShards(kinesis, streamName);
  const logs: ShardLog[] = [];
  for (const s of shards) {
    const parents = [s.ParentShardId, s.AdjacentParentShardId]
      .filter(Boolean)
      .map((p) => shards.findIndex((x) => x.ShardId === p));
    const items: ShardLog['items'] = [];
    for (const r of await readShard(kinesis, streamName, s.ShardId as string)) {
      const arrivalMs = r.ApproximateArrivalTimestamp?.getTime() ?? 0;
      const { events, poison } = decoder.decode(r);
      // Poison and events interleave by sub-sequence number inside a record.
      const all = [
        ...events.map((event) => ({
          sub: event.subSequenceNumber,
          item: { kind: 'event' as const, event, arrivalMs },
        })),
        ...poison.map((p) => ({ sub: p.subSequenceNumber, item: { kind: 'poison' as const } })),
      ].sort((a, b) => a.sub - b.sub);
      items.push(...all.map((x) => x.item));
    }
    logs.push({ parents, items });
  }
  return logs;
}
