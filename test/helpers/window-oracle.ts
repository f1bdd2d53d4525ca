/**
 * The oracle: windows computed in one clean, sequential pass over what each
 * shard holds, with no batching, fences, retries or DynamoDB. It defines the
 * truth the hot path must reproduce exactly:
 * - an event counts once per identity (producer_id, producer_seq), wherever its copies are;
 * - per shard, the watermark is the highest event time so far minus the
 *   out-of-orderness, and an event whose window already satisfies
 *   `end - 1 + lateness <= watermark` is late for that window size;
 * - an event more than the skew bound ahead of its record's arrival is quarantined.
 *
 * A histogram sample (MetricSample v3) is one event of `count` observations: the window's
 * count, sum, min and max take them, and its sketch takes each non-empty bucket at the value
 * schemas/README.md documents for it (re-derived here from that text, see `placeHistogram`).
 *
 * It reads the stream with the reference reader (reference-stream-reader.ts: avsc on the
 * schema files, its own CRC-64-AVRO, aws-kinesis-agg), never with the project's decoder,
 * and it keeps which identities each window, late output and quarantine must hold, so a
 * test can account for every produced event (event-ledger.ts).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { DDSketch } from '@datadog/sketches-js';
import {
  eventKey,
  type ReadEvent,
  type ReadHistogram,
  ReferenceDecodeError,
  ReferenceDecoder,
  readStream,
} from './reference-stream-reader.js';

/**
 * Relative accuracy of the windows' quantile sketches: Pulse documents p50/p95/p99 within
 * ±1 % (core/windows/sketch.ts); the value is written here, not imported.
 */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/** Expected content of one window item. */
export interface OracleWindow {
  /** Observations: one per plain sample, a histogram's count per histogram sample; log events. */
  count: number;
  /** Events (a histogram sample is one). */
  samples: number;
  sumMicros: bigint;
  min: number;
  max: number;
  last: number;
  lastAt: number;
  /** Metric windows: the quantiles, null without observations (only histograms of none). */
  p50?: number | null;
  p95?: number | null;
  p99?: number | null;
}

/** What one shard delivered, in order: events with their record's arrival time, and poison user records. */
export interface ShardLog {
  /** Indexes (in the shards array) of the shards this one was split or merged from. */
  parents?: number[];
  items: ({ kind: 'event'; event: ReadEvent; arrivalMs: number } | { kind: 'poison' })[];
}

/** Windows by series-window id, side outputs, and which identities go where. */
export interface OracleResult {
  /** Windows by id: `metric|<metric>|<host>|<size>|<start>`, `log-service|<service>|<level>|…`, `log-host|<host>|<level>|…`. */
  windows: Map<string, OracleWindow>;
  /** Late events per window size. */
  late: Map<number, number>;
  /** Quarantined user records: poison plus future-dated events. */
  quarantined: number;
  uniqueEvents: number;
  /** The identities of every window (same ids as `windows`). */
  assigned: Map<string, string[]>;
  /** The identities late for each window size. */
  lateKeys: Map<number, Set<string>>;
  /** The identities of the future-dated events (quarantined). */
  quarantinedKeys: Set<string>;
  /** User records that are not events (no marker, unknown fingerprint, undecodable body). */
  poison: number;
  /** Every identity on the stream, with its first copy. */
  events: Map<string, ReadEvent>;
  /** Events on the stream counting every copy (producer retries, duplicated records). */
  copies: number;
}

/** The oracle's settings: the windowing config's fields it reads. */
export interface OracleConfig {
  windowSizesMs: readonly number[];
  outOfOrdernessMs: number;
  allowedLatenessMs: number;
  maxFutureSkewMs: number;
  logCountsByHost: boolean;
}

/** Computes the oracle over shards processed one after another (parents before children, one lineage). */
export function oracle(shards: ShardLog[], config: OracleConfig): OracleResult {
  const events = new Map<string, ReadEvent>();
  const windows = new Map<string, OracleWindow & { sketch?: DDSketch }>();
  const assigned = new Map<string, string[]>();
  const late = new Map<number, number>(config.windowSizesMs.map((s) => [s, 0]));
  const lateKeys = new Map<number, Set<string>>(config.windowSizesMs.map((s) => [s, new Set()]));
  const quarantinedKeys = new Set<string>();
  let poison = 0;
  let copies = 0;
  const add = (id: string, key: string, value: number | null, at: number, histogram?: ReadHistogram | null) => {
    let w = windows.get(id);
    if (!w) {
      w = { count: 0, samples: 0, sumMicros: 0n, min: Infinity, max: -Infinity, last: 0, lastAt: -Infinity };
      if (value !== null) w.sketch = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
      windows.set(id, w);
      assigned.set(id, []);
    }
    assigned.get(id)?.push(key);
    w.samples++;
    if (value === null) {
      w.count++;
      return;
    }
    if (at > w.lastAt || (at === w.lastAt && value > w.last)) {
      w.last = value;
      w.lastAt = at;
    }
    const placed = histogram
      ? placeHistogram(histogram)
      : { min: value, max: value, sum: value, points: [[value, 1] as [number, number]] };
    if (!placed) return; // a histogram without observations
    w.count += histogram ? histogram.count : 1;
    w.sumMicros += BigInt(Math.round(placed.sum * 1_000_000));
    w.min = Math.min(w.min, placed.min);
    w.max = Math.max(w.max, placed.max);
    for (const [v, weight] of placed.points) w.sketch?.accept(v, weight);
  };
  const finalWatermark: number[] = [];
  for (const shard of shards) {
    // A child continues from its parents: the slower parent's watermark.
    const parentMarks = (shard.parents ?? []).map((p) => finalWatermark[p] ?? -Infinity);
    let watermark = parentMarks.length > 0 ? Math.min(...parentMarks) : -Infinity;
    for (const item of shard.items) {
      if (item.kind === 'poison') {
        poison++;
        continue;
      }
      const { event: e, arrivalMs } = item;
      const key = eventKey(e.producerId, e.producerSeq);
      copies++;
      if (events.has(key)) continue;
      events.set(key, e);
      const t = e.occurredAt;
      if (t > arrivalMs + config.maxFutureSkewMs) {
        quarantinedKeys.add(key);
        continue;
      }
      for (const size of config.windowSizesMs) {
        const start = Math.floor(t / size) * size;
        if (start + size - 1 + config.allowedLatenessMs <= watermark) {
          late.set(size, (late.get(size) ?? 0) + 1);
          lateKeys.get(size)?.add(key);
          continue;
        }
        if (e.type === 'MetricSample') {
          add(`metric|${e.metric}|${e.host}|${size}|${start}`, key, e.value as number, t, e.histogram);
        } else {
          add(`log-service|${e.service}|${e.level}|${size}|${start}`, key, null, t);
          if (config.logCountsByHost) add(`log-host|${e.host}|${e.level}|${size}|${start}`, key, null, t);
        }
      }
      watermark = Math.max(watermark, t - config.outOfOrdernessMs);
    }
    finalWatermark.push(watermark);
  }
  for (const w of windows.values()) {
    if (w.sketch) {
      const q = (p: number) => (w.count === 0 ? null : (w.sketch as DDSketch).getValueAtQuantile(p));
      w.p50 = q(0.5);
      w.p95 = q(0.95);
      w.p99 = q(0.99);
      delete w.sketch;
    }
  }
  return {
    windows,
    late,
    quarantined: poison + quarantinedKeys.size,
    uniqueEvents: events.size,
    assigned,
    lateKeys,
    quarantinedKeys,
    poison,
    events,
    copies,
  };
}

/**
 * Where a histogram's observations go, by the rule schemas/README.md states ("How the
 * windows use a histogram"), written here from that text: bucket i is (bounds[i-1],
 * bounds[i]]; min and max as recorded, else (one observation with a sum: the sum) the
 * lowest non-empty bucket's lower bound, or its upper bound when it has none, and the
 * highest one's upper bound, or its lower bound; a derived end never crosses a recorded
 * one. Each non-empty bucket stands at its midpoint (open below: min; open above: max;
 * no bounds at all: the mean, else the middle of [min, max]), clamped to [min, max].
 * The sum as recorded, else the counts times those values, added bucket by bucket.
 * Null without observations.
 */
export function placeHistogram(
  h: ReadHistogram,
): { min: number; max: number; sum: number; points: [number, number][] } | null {
  if (h.count === 0) return null;
  const buckets = h.counts.map((n, i) => ({
    n,
    lo: i === 0 ? -Infinity : (h.bounds[i - 1] as number),
    hi: i === h.bounds.length ? Infinity : (h.bounds[i] as number),
  }));
  const filled = buckets.filter((b) => b.n > 0);
  const first = filled[0] as (typeof buckets)[number];
  const lastFilled = filled[filled.length - 1] as (typeof buckets)[number];
  const mean = h.sum === null ? null : h.sum / h.count;
  const one = h.count === 1 && mean !== null;
  const finiteOf = (...xs: number[]) => xs.find((x) => Number.isFinite(x));
  let min =
    h.min !== null ? h.min : one ? (mean as number) : (finiteOf(first.lo, first.hi) ?? mean ?? (h.max as number));
  let max = h.max !== null ? h.max : one ? (mean as number) : (finiteOf(lastFilled.hi, lastFilled.lo) ?? mean ?? min);
  if (h.min === null && min > max) min = max;
  if (h.max === null && max < min) max = min;
  const points: [number, number][] = [];
  let estimated = 0;
  for (const b of buckets) {
    if (b.n === 0) continue;
    let v: number;
    if (!Number.isFinite(b.lo) && !Number.isFinite(b.hi)) v = mean ?? min + (max - min) / 2;
    else if (!Number.isFinite(b.lo)) v = min;
    else if (!Number.isFinite(b.hi)) v = max;
    else v = b.lo + (b.hi - b.lo) / 2;
    v = Math.min(max, Math.max(min, v));
    points.push([v, b.n]);
    estimated += b.n * v;
  }
  return { min, max, sum: h.sum ?? estimated, points };
}

/**
 * What the stream holds, per shard in stream order with its lineage (parents before
 * children), read and decoded by the reference reader: the oracle's input.
 */
export async function streamContent(kinesis: KinesisClient, streamName: string): Promise<ShardLog[]> {
  const decoder = new ReferenceDecoder();
  const shards = await readStream(kinesis, streamName, decoder);
  return shards.map((s) => ({
    parents: s.parents.map((p) => shards.findIndex((x) => x.shardId === p)).filter((i) => i >= 0),
    items: s.records.flatMap((r) =>
      r.userRecords.map((u): ShardLog['items'][number] => {
        try {
          return { kind: 'event', event: decoder.decodeEvent(u.bytes), arrivalMs: r.arrivalMs };
        } catch (error) {
          if (error instanceof ReferenceDecodeError) return { kind: 'poison' };
          throw error;
        }
      }),
    ),
  }));
}
