/**
 * Window items: how a window's aggregate, its per-shard position fences and its
 * version are stored as one DynamoDB item (see table.ts for the keys).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  emptyMetricAggregate,
  type MetricAggregate,
  restoreMetricAggregate,
  SUM_SCALE,
  sketchBytes,
} from '../windows/aggregates.js';
import type { WindowItemKey } from '../windows/fold.js';
import { CorruptItemError } from './errors.js';
import { logSeriesKey, metricIndexKey, metricSeriesKey, startKey } from './table.js';

/** A window item as read from or written to the table. */
export interface WindowItem {
  key: WindowItemKey;
  /** Increments on every write; writes are conditional on it. 0 = not stored yet. */
  version: number;
  /** Per shard: the last position (`seq:sub`) whose events this item has absorbed. */
  fences: Map<string, string>;
  /** Metric aggregate (metric items). */
  metric?: MetricAggregate;
  /** Event count (every item; equals metric.count for metric items). */
  count: number;
}

/** Primary key of a window item. */
export function itemKey(k: WindowItemKey): { pk: AttributeValue; sk: AttributeValue } {
  const pk =
    k.kind === 'metric'
      ? metricSeriesKey(k.a, k.b, k.size)
      : logSeriesKey(k.kind === 'log-service' ? 'service' : 'host', k.a, k.b, k.size);
  return { pk: { S: pk }, sk: { S: startKey(k.start) } };
}

/** A new, empty item. */
export function emptyItem(key: WindowItemKey): WindowItem {
  return {
    key,
    version: 0,
    fences: new Map(),
    count: 0,
    ...(key.kind === 'metric' ? { metric: emptyMetricAggregate() } : {}),
  };
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

/** The DynamoDB item for a window item; `ttlSeconds` is when it expires. */
export function toAttributes(item: WindowItem, ttlSeconds: number): Record<string, AttributeValue> {
  const k = item.key;
  const fence: Record<string, AttributeValue> = {};
  for (const [shard, pos] of item.fences) fence[shard] = { S: pos };
  const key = itemKey(k);
  const attrs: Record<string, AttributeValue> = {
    pk: key.pk,
    sk: key.sk,
    kind: { S: k.kind },
    a: { S: k.a },
    b: { S: k.b },
    size: { N: String(k.size) },
    ws: { N: String(k.start) },
    we: { N: String(k.start + k.size) },
    n: { N: String(item.count) },
    v: { N: String(item.version) },
    fence: { M: fence },
    ttl: { N: String(ttlSeconds) },
  };
  const m = item.metric;
  if (k.kind === 'metric' && m) {
    attrs.gpk = { S: metricIndexKey(k.a, k.size) };
    attrs.gsk = { S: `${startKey(k.start)}#${k.b}` };
    attrs.sum = { N: microsToDecimal(m.sumMicros) };
    attrs.min = { N: String(m.min) };
    attrs.max = { N: String(m.max) };
    attrs.last = { N: String(m.last) };
    attrs.lastAt = { N: String(m.lastAt) };
    attrs.sketch = { B: sketchBytes(m) };
  }
  return attrs;
}

function num(attrs: Record<string, AttributeValue>, name: string): number {
  const v = attrs[name]?.N;
  if (v === undefined) throw new CorruptItemError(`window item lacks number attribute '${name}'`);
  return Number(v);
}

/** Reads a stored window item back. */
export function fromAttributes(attrs: Record<string, AttributeValue>): WindowItem {
  const kind = attrs.kind?.S as WindowItemKey['kind'] | undefined;
  if (kind !== 'metric' && kind !== 'log-service' && kind !== 'log-host') {
    throw new CorruptItemError(`item ${attrs.pk?.S}/${attrs.sk?.S} is not a window item`);
  }
  const key: WindowItemKey = {
    kind,
    a: attrs.a?.S ?? '',
    b: attrs.b?.S ?? '',
    size: num(attrs, 'size'),
    start: num(attrs, 'ws'),
  };
  const fences = new Map<string, string>();
  for (const [shard, v] of Object.entries(attrs.fence?.M ?? {})) if (v.S) fences.set(shard, v.S);
  const item: WindowItem = { key, version: num(attrs, 'v'), fences, count: num(attrs, 'n') };
  if (kind === 'metric') {
    const sketch = attrs.sketch?.B;
    if (!sketch) throw new CorruptItemError(`metric window ${attrs.pk?.S}/${attrs.sk?.S} lacks its sketch`);
    item.metric = restoreMetricAggregate({
      count: item.count,
      sumMicros: decimalToMicros(attrs.sum?.N ?? '0'),
      min: num(attrs, 'min'),
      max: num(attrs, 'max'),
      last: num(attrs, 'last'),
      lastAt: num(attrs, 'lastAt'),
      sketch,
    });
  }
  return item;
}

/** Size of an item as DynamoDB bills it (attribute names + values), in bytes. */
export function itemSizeBytes(attrs: Record<string, AttributeValue>): number {
  const size = (v: AttributeValue): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S);
    if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
    if (v.B !== undefined) return v.B.length;
    if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
    if (v.M !== undefined)
      return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + Buffer.byteLength(k) + size(x) + 1, 0);
    if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + size(x) + 1, 0);
    return 0;
  };
  return Object.entries(attrs).reduce((n, [k, v]) => n + Buffer.byteLength(k) + size(v), 0);
}
