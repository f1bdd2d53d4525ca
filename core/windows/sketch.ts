/**
 * The mergeable quantile sketch: DDSketch (`@datadog/sketches-js`), with a
 * compact binary encoding of its bins. The library's own protobuf writes every
 * dense bin as an 8-byte double (about 1 KB for 60 samples); this encoding keeps
 * only non-empty bins as varint (key delta, count) pairs, so a window item stays
 * well under 1 KB. Quantiles are within `RELATIVE_ACCURACY` of the true value.
 */
import { DDSketch } from '@datadog/sketches-js';

/** Relative accuracy of every sketch: p50/p95/p99 are within ±1 % of the exact value. */
export const RELATIVE_ACCURACY = 0.01;

/** A new, empty sketch with Pulse's accuracy. */
export function newSketch(): DDSketch {
  return new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
}

/**
 * Merges `b` into `a` in place. Written here because the library's `merge()`
 * (2.1.1) drops the negative-value store, and its store merge mishandles bin key 0
 * (values in (0.99, 1]): merged sketches answered wrong quantiles. Bins are added
 * one by one through `add`, which extends the range correctly.
 */
export function mergeSketch(a: DDSketch, b: DDSketch): void {
  if (a.mapping.gamma !== b.mapping.gamma) throw new Error('cannot merge sketches of different relative accuracy');
  if (b.count === 0) return;
  addBins(a.store as unknown as Bins & KeyRange, b.store as unknown as Bins & KeyRange);
  addBins(a.negativeStore as unknown as Bins & KeyRange, b.negativeStore as unknown as Bins & KeyRange);
  a.zeroCount += b.zeroCount;
  a.count += b.count;
  a.sum += b.sum;
  if (b.min < a.min) a.min = b.min;
  if (b.max > a.max) a.max = b.max;
}

function addBins(into: Bins & KeyRange, from: Bins & KeyRange): void {
  if (from.count === 0) return;
  if (into.count === 0) {
    into.copy(from); // copies the bins array: correct, and far cheaper than adding bin by bin
    return;
  }
  for (let key = from.minKey; key <= from.maxKey; key++) {
    const c = from.bins[key - from.offset] as number;
    if (c > 0) into.add(key, c);
  }
}

interface Bins {
  bins: number[];
  offset: number;
  count: number;
  add(key: number, weight?: number): void;
  merge(other: Bins): void;
  copy(other: Bins): void;
}

function writeVarint(out: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

interface KeyRange {
  minKey: number;
  maxKey: number;
}

/** Non-empty bins of a store (only its [minKey, maxKey] range is scanned). */
function nonEmptyBins(store: Bins & KeyRange): number {
  let n = 0;
  if (store.count > 0)
    for (let key = store.minKey; key <= store.maxKey; key++) if ((store.bins[key - store.offset] as number) > 0) n++;
  return n;
}

/** Writes the non-empty bins of a store as a varint count, then (key delta, count) pairs. */
function writeStore(out: Buffer, pos: number, store: Bins & KeyRange): number {
  pos = writeVarint(out, pos, nonEmptyBins(store));
  let prev = 0;
  if (store.count > 0) {
    for (let key = store.minKey; key <= store.maxKey; key++) {
      const c = store.bins[key - store.offset] as number;
      if (c > 0) {
        pos = writeVarint(out, pos, zigzag(key - prev));
        pos = writeVarint(out, pos, c);
        prev = key;
      }
    }
  }
  return pos;
}

/**
 * Encodes a sketch's bins (format 2): zero count, positive bins, negative bins, every
 * count a varint (format 1, still read, gave the bin counts a fixed 5 bytes each: 10 of the
 * ~20 bytes a sparse minute's sketch needs, multiplied by every measure of a packed item).
 */
export function encodeSketch(sketch: DDSketch): Buffer {
  const pos = sketch.store as unknown as Bins & KeyRange;
  const neg = sketch.negativeStore as unknown as Bins & KeyRange;
  const span = (st: Bins & KeyRange) => (st.count > 0 ? st.maxKey - st.minKey + 1 : 0);
  const bound = 1 + 10 + 5 + 5 + 20 * (span(pos) + span(neg));
  const out = Buffer.allocUnsafe(Math.min(bound, 1 << 20));
  let at = 0;
  out[at++] = 2;
  at = writeVarint(out, at, sketch.zeroCount);
  at = writeStore(out, at, pos);
  at = writeStore(out, at, neg);
  return Buffer.from(out.subarray(0, at));
}

/** Decodes {@link encodeSketch} output; `min`, `max`, `sum` are the caller's to set. */
export function decodeSketch(bytes: Uint8Array): DDSketch {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[pos++];
      if (b === undefined) throw new Error('sketch bytes end early');
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  const format = bytes[pos++];
  if (format !== 1 && format !== 2) throw new Error('unknown sketch encoding: expected format 1 or 2');
  const sketch = newSketch();
  sketch.zeroCount = varint();
  let count = sketch.zeroCount;
  for (const store of [sketch.store, sketch.negativeStore] as unknown as Bins[]) {
    // format 1 wrote each bin count in a fixed 5-byte varint, which reads the same way
    const n = varint();
    let key = 0;
    for (let i = 0; i < n; i++) {
      const z = varint();
      key += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      const c = varint();
      store.add(key, c);
      count += c;
    }
  }
  sketch.count = count;
  return sketch;
}
