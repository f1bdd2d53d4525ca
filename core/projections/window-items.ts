/**
 * Window items: how one (host, window) or (service, window) is stored as one
 * DynamoDB item, with all of its measures packed in one binary attribute (in the
 * spirit of Timestream's multi-measure records), its per-shard position fences
 * and its version (see table.ts for the keys).
 *
 * Packing is what makes a sparse fleet cheap: a host sending 20 metrics every
 * 10 s puts 120 samples into a minute, and DynamoDB bills a write per started
 * kilobyte, so one item of all 20 aggregates costs what one metric's item cost.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Histogram } from '#core/contract/events.js';
import {
  addHistogram,
  addSample,
  emptyMetricAggregate,
  type MetricAggregate,
  restoreMetricAggregate,
  SUM_SCALE,
  sketchBytes,
} from '#core/windows/aggregates.js';
import type { WindowItemKey } from '#core/windows/fold.js';
import { ByteReader, ByteWriter } from './byte-codec.js';
import { CorruptItemError } from './errors.js';
import { windowItemKey } from './table.js';

/** A window item as read from or written to the table. */
export interface WindowItem {
  key: WindowItemKey;
  /** Increments on every write; writes are conditional on it. 0 = not stored yet. */
  version: number;
  /** Per shard: the last position (`seq:sub`) whose events this item has absorbed. */
  fences: Map<string, string>;
  /** Metric aggregates by metric name (host items). */
  metrics: Map<string, MetricAggregate>;
  /** Log counts by level (service items; host items with `logCountsByHost`). */
  levels: Map<string, number>;
}

/** A new, empty item. */
export function emptyItem(key: WindowItemKey): WindowItem {
  return { key, version: 0, fences: new Map(), metrics: new Map(), levels: new Map() };
}

/** Events the item holds: samples of every metric (a histogram sample is one) plus log counts. */
export function itemCount(item: Pick<WindowItem, 'metrics' | 'levels'>): number {
  let n = 0;
  for (const m of item.metrics.values()) n += m.samples;
  for (const c of item.levels.values()) n += c;
  return n;
}

/** Adds one event (a metric sample, maybe a histogram, or a log event of a level) to an item in place. */
export function addEvent(
  item: Pick<WindowItem, 'metrics' | 'levels'>,
  log: boolean,
  measure: string,
  value: number,
  at: number,
  histogram: Histogram | null = null,
): void {
  if (log) {
    item.levels.set(measure, (item.levels.get(measure) ?? 0) + 1);
    return;
  }
  let m = item.metrics.get(measure);
  if (!m) item.metrics.set(measure, (m = emptyMetricAggregate()));
  if (histogram) addHistogram(m, histogram, value, at);
  else addSample(m, value, at);
}

/** Formats micro-units as an exact decimal string (DynamoDB numbers keep 38 digits). */
export function microsToDecimal(micros: bigint): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  const scale = BigInt(SUM_SCALE);
  const frac = (abs % scale).toString().padStart(6, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${abs / scale}${frac ? `.${frac}` : ''}`;
}

/** Parses {@link microsToDecimal}. */
export function decimalToMicros(s: string): bigint {
  const neg = s.startsWith('-');
  const [whole = '0', frac = ''] = (neg ? s.slice(1) : s).split('.');
  const micros = BigInt(whole) * BigInt(SUM_SCALE) + BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
  return neg ? -micros : micros;
}

// ---- the packed measures (attribute `agg`) ----------------------------------------------

/** Micro-units of a value when it has at most 6 decimals (most telemetry does) and they stay exact, else undefined. */
function exactMicros(v: number): number | undefined {
  if (Object.is(v, -0)) return undefined; // (a double keeps its sign)
  const m = Math.round(v * SUM_SCALE);
  // below 2^52, so the zigzag of the varint (twice the value) stays an exact integer
  return Math.abs(m) < 2 ** 52 && m / SUM_SCALE === v ? m : undefined;
}

/** The largest d ≤ 6 such that 10^d divides every one of `micros` (values with 2 decimals: 4). */
function commonTens(micros: readonly number[]): number {
  let d = 0;
  while (d < 6 && micros.every((m) => m % 10 ** (d + 1) === 0)) d++;
  return d;
}

const sorted = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Format bytes of the packed measures: as written, or deflated (what follows the byte). */
const PLAIN = 1;
const DEFLATED = 2;
/** Packed measures shorter than this are not deflated. */
const DEFLATE_FROM_BYTES = 512;
/**
 * Flag bit of a metric: histogram samples fed it, so its samples (a varint after the flag
 * byte) differ from its count of observations, or its one observation is not a plain
 * sample; the layout of more than one observation follows whatever the count.
 */
const HISTOGRAM_FED = 0x40;

/** True when a one-observation aggregate is what one plain sample of its last value makes. */
function isPlainSingle(m: MetricAggregate): boolean {
  return (
    m.count === 1 &&
    m.samples === 1 &&
    m.min === m.last &&
    m.max === m.last &&
    m.sumMicros === BigInt(Math.round(m.last * SUM_SCALE))
  );
}

/**
 * Packs an item's measures: metrics by name, then log counts by level, both sorted, so
 * equal contents give equal bytes (a rebuild compares them). Three things keep a fleet
 * host's minute of 20 metrics under DynamoDB's 1 KB write unit:
 * - a window of one sample stores the value once (its sum, min, max, last and sketch
 *   all follow from it);
 * - min, max and last, when all have at most 6 decimals, are varints of their common
 *   decimal unit (a value with 2 decimals takes 2–3 bytes, not an 8-byte double), and
 *   the sum is written in that unit too;
 * - the whole, past half a kilobyte, is deflated when that is smaller (metric names share prefixes); the held
 *   state asks for it plain, as it deflates all its items together (names repeat across hosts).
 * A metric fed by histogram samples sets the flag bit 0x40 and writes its samples (varint)
 * after the flag byte; plain samples never set it, so their bytes are what they were.
 */
export function packMeasures(
  item: Pick<WindowItem, 'key' | 'metrics' | 'levels'>,
  options: { deflate: boolean } = { deflate: true },
): Buffer {
  const w = new ByteWriter();
  const start = item.key.start;
  w.varint(item.metrics.size);
  for (const [name, m] of sorted(item.metrics)) {
    w.string(name);
    w.varint(m.count);
    const fed = m.samples !== m.count || (m.count === 1 && !isPlainSingle(m)) ? HISTOGRAM_FED : 0;
    if (m.count === 1 && !fed) {
      const micros = exactMicros(m.last);
      if (micros === undefined) {
        w.byte(0);
        w.f64(m.last);
      } else {
        const d = commonTens([micros]);
        w.byte(1 | (d << 3));
        w.svarint(micros / 10 ** d);
      }
      w.svarint(m.lastAt - start);
      continue;
    }
    const values = [m.min, m.max, m.last];
    const micros = values.map(exactMicros);
    if (micros.every((x) => x !== undefined)) {
      // (the sum's own decimal unit: its remainder below one unit decides it)
      const sumTens = commonTens([Number(m.sumMicros % 1_000_000n)]);
      const d = Math.min(commonTens(micros as number[]), sumTens);
      w.byte(fed | 7 | (d << 3));
      if (fed) w.varint(m.samples);
      w.bigint(m.sumMicros / 10n ** BigInt(d));
      for (const x of micros as number[]) w.svarint(x / 10 ** d);
    } else {
      w.byte(fed);
      if (fed) w.varint(m.samples);
      w.bigint(m.sumMicros);
      for (const v of values) w.f64(v);
    }
    w.svarint(m.lastAt - start);
    w.bytes(sketchBytes(m));
  }
  w.varint(item.levels.size);
  for (const [level, n] of sorted(item.levels)) {
    w.string(level);
    w.varint(n);
  }
  const plain = w.done();
  // (deflating costs 50–100 µs; below half a kilobyte the item stays one write unit anyway)
  const deflated = options.deflate && plain.length > DEFLATE_FROM_BYTES ? deflateRawSync(plain) : plain;
  return deflated.length < plain.length
    ? Buffer.concat([Buffer.from([DEFLATED]), deflated])
    : Buffer.concat([Buffer.from([PLAIN]), plain]);
}

/** Inverse of {@link packMeasures}. @throws CorruptItemError */
export function unpackMeasures(
  bytes: Uint8Array,
  windowStart: number,
): { metrics: Map<string, MetricAggregate>; levels: Map<string, number> } {
  const format = bytes[0];
  if (format !== PLAIN && format !== DEFLATED)
    throw new CorruptItemError(`unknown packed measures format ${format}: expected ${PLAIN} or ${DEFLATED}`);
  let body: Uint8Array;
  try {
    body = format === DEFLATED ? inflateRawSync(bytes.subarray(1)) : bytes.subarray(1);
  } catch (error) {
    throw new CorruptItemError('packed window measures do not inflate', { cause: error });
  }
  const r = new ByteReader(body);
  const metrics = new Map<string, MetricAggregate>();
  for (let i = r.varint(); i > 0; i--) {
    const name = r.string();
    const count = r.varint();
    const flags = r.byte();
    // micro-units back to the value: one division by 10^6, as exactMicros checked it
    const value = (x: number) => (x * 10 ** ((flags >> 3) & 7)) / SUM_SCALE;
    const fed = (flags & HISTOGRAM_FED) !== 0;
    if (count === 1 && !fed) {
      const v = (flags & 1) !== 0 ? value(r.svarint()) : r.f64();
      const m = emptyMetricAggregate();
      addSample(m, v, windowStart + r.svarint());
      metrics.set(name, m);
      continue;
    }
    const samples = fed ? r.varint() : count;
    let sumMicros: bigint;
    let min: number;
    let max: number;
    let last: number;
    if ((flags & 7) === 7) {
      sumMicros = r.bigint() * 10n ** BigInt((flags >> 3) & 7);
      [min, max, last] = [r.svarint(), r.svarint(), r.svarint()].map(value) as [number, number, number];
    } else {
      sumMicros = r.bigint();
      [min, max, last] = [r.f64(), r.f64(), r.f64()];
    }
    const lastAt = windowStart + r.svarint();
    metrics.set(name, restoreMetricAggregate({ count, samples, sumMicros, min, max, last, lastAt, sketch: r.bytes() }));
  }
  const levels = new Map<string, number>();
  for (let i = r.varint(); i > 0; i--) levels.set(r.string(), r.varint());
  return { metrics, levels };
}

/** The DynamoDB item for a window item; `ttlSeconds` is when it expires. */
export function toAttributes(item: WindowItem, ttlSeconds: number): Record<string, AttributeValue> {
  const k = item.key;
  const fence: Record<string, AttributeValue> = {};
  for (const [shard, pos] of item.fences) fence[shard] = { S: pos };
  const key = windowItemKey(k);
  return {
    pk: { S: key.pk },
    sk: { S: key.sk },
    kind: { S: k.kind },
    name: { S: k.name },
    size: { N: String(k.size) },
    ws: { N: String(k.start) },
    n: { N: String(itemCount(item)) },
    agg: { B: packMeasures(item) },
    v: { N: String(item.version) },
    fence: { M: fence },
    ttl: { N: String(ttlSeconds) },
  };
}

function num(attrs: Record<string, AttributeValue>, name: string): number {
  const v = attrs[name]?.N;
  if (v === undefined) throw new CorruptItemError(`window item lacks number attribute '${name}'`);
  return Number(v);
}

/** True for a window item (not a checkpoint or side output). */
export function isWindowItem(attrs: Record<string, AttributeValue>): boolean {
  return attrs.kind?.S === 'host' || attrs.kind?.S === 'service';
}

/** Reads a stored window item back. @throws CorruptItemError */
export function fromAttributes(attrs: Record<string, AttributeValue>): WindowItem {
  const kind = attrs.kind?.S;
  if (kind !== 'host' && kind !== 'service') {
    throw new CorruptItemError(`item ${attrs.pk?.S}/${attrs.sk?.S} is not a window item`);
  }
  const key: WindowItemKey = { kind, name: attrs.name?.S ?? '', size: num(attrs, 'size'), start: num(attrs, 'ws') };
  const fences = new Map<string, string>();
  for (const [shard, v] of Object.entries(attrs.fence?.M ?? {})) if (v.S) fences.set(shard, v.S);
  const agg = attrs.agg?.B;
  if (!agg) throw new CorruptItemError(`window item ${attrs.pk?.S}/${attrs.sk?.S} lacks its measures`);
  return { key, version: num(attrs, 'v'), fences, ...unpackMeasures(agg, key.start) };
}
