/**
 * An independent reader of the window table, for the oracle tests: it parses the
 * DynamoDB attributes itself and decodes the packed measures (`agg`) from their
 * documented format, sharing no code with what it checks (not `fromAttributes`,
 * `unpackMeasures`, `ByteReader`, `decodeSketch`, `itemId`, `seriesWindows` nor the key
 * builders of table.ts).
 *
 * Decision: a full re-implementation of the item format, not only keys. The format is
 * small and documented (core/projections/window-items.ts `packMeasures`, byte-codec.ts,
 * core/windows/sketch.ts `encodeSketch`, docs/hot-path.md), about 150 lines here; a
 * reader that shared the project's unpacking would agree with any bug in it. What it
 * reads, from those documents:
 * - `agg`: a format byte (1 plain, 2 raw-deflated), then a varint count of metrics, each
 *   `name` (varint length + UTF-8), `count` (varint), a flag byte whose low bits say how
 *   values are written (`count = 1`: bit 0, the value as a zigzag varint of its decimal
 *   unit, else a double; `count > 1`: `7` for varints of the decimal unit, `0` for a
 *   zigzag-varint sum of micro-units and three doubles) and whose bits 3-5 are the unit's
 *   power of ten below 10^6; bit 6 (0x40) marks a metric fed by histogram samples: a
 *   varint of its samples (events) follows the flag byte, and the layout of more than one
 *   observation follows whatever the count; then min, max, last, `lastAt - windowStart`
 *   (zigzag varint) and, past one plain sample, the sketch bytes (varint length); then a
 *   varint count of log levels, each `level` and a varint count. Varints are little-endian
 *   base 128. The item's `n` counts samples and log events.
 * - the sketch: a format byte (1 or 2), the zero count, then the positive and the
 *   negative bins, each a varint number of non-empty bins and (zigzag key delta, count)
 *   pairs. A one-sample window's sketch is its value's bin, by the library's mapping.
 *   Quantiles are computed here from the bins (DDSketch's rank rule), with only the
 *   library's key-to-value mapping borrowed.
 * - keys: host items under `F#<size>#<span start>#<bucket>` / `<start>#<host>` (span: an
 *   hour for windows up to an hour, else a day; bucket: FNV-1a of the host mod 16),
 *   service items under `S#<service>#<size>` / `<start>`, starts 13-digit zero-padded
 *   (table.ts); each item's keys are rebuilt here and must be where it is stored.
 * - coarser windows: the merge of the finest windows inside them plus the coarser size's
 *   own item, which holds only corrections (docs/hot-path.md "Coarser windows are derived").
 * - side outputs: `LATE#<shard>` items (window size, the event's bytes) and
 *   `QUARANTINE#<shard>#<p>` items (parts of a user record's bytes by position); their
 *   bytes are decoded by the reference stream reader to name the identities they hold.
 */
import { inflateRawSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DDSketch } from '@datadog/sketches-js';
import { eventKey, ReferenceDecodeError, type ReferenceDecoder } from './reference-stream-reader.js';
import { type OracleWindow, SKETCH_RELATIVE_ACCURACY } from './window-oracle.js';

/** The reference reader found an item it cannot read or that is not where its keys say. */
export class ReferenceItemError extends Error {}

type Item = Record<string, AttributeValue>;

// ---- bytes ----------------------------------------------------------------------------------

class Cursor {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  get done(): boolean {
    return this.at === this.b.length;
  }
  u8(): number {
    if (this.at >= this.b.length) throw new ReferenceItemError('packed measures end early');
    return this.b[this.at++] as number;
  }
  /** Unsigned base-128 varint, as a bigint (no precision limit). */
  uvarint(): bigint {
    let n = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = this.u8();
      n |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return n;
    }
  }
  uint(): number {
    const n = this.uvarint();
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ReferenceItemError(`varint ${n} past 2^53`);
    return Number(n);
  }
  /** Zigzag-decoded varint. */
  sbig(): bigint {
    const z = this.uvarint();
    return z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
  }
  sint(): number {
    return Number(this.sbig());
  }
  f64(): number {
    if (this.at + 8 > this.b.length) throw new ReferenceItemError('packed measures end early');
    const v = this.b.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }
  take(n: number): Buffer {
    if (this.at + n > this.b.length) throw new ReferenceItemError('packed measures end early');
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  text(): string {
    return this.take(this.uint()).toString('utf8');
  }
}

// ---- sketches as bins -----------------------------------------------------------------------

/** A quantile sketch as its bins: key → count, positive and negative, and the zeros. */
interface Bins {
  zeros: number;
  pos: Map<number, number>;
  neg: Map<number, number>;
}

/** The library's key mapping for the documented accuracy (only `key` and `value` are used). */
const MAPPING = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY }).mapping;

function binsOfValue(v: number): Bins {
  const b: Bins = { zeros: 0, pos: new Map(), neg: new Map() };
  if (v > MAPPING.minPossible) b.pos.set(MAPPING.key(v), 1);
  else if (v < -MAPPING.minPossible) b.neg.set(MAPPING.key(-v), 1);
  else b.zeros = 1;
  return b;
}

function readBins(bytes: Buffer): Bins {
  const c = new Cursor(bytes);
  const format = c.u8();
  if (format !== 1 && format !== 2) throw new ReferenceItemError(`sketch format ${format}: expected 1 or 2`);
  const b: Bins = { zeros: c.uint(), pos: new Map(), neg: new Map() };
  for (const store of [b.pos, b.neg]) {
    let key = 0;
    for (let i = c.uint(); i > 0; i--) {
      key += c.sint();
      store.set(key, (store.get(key) ?? 0) + c.uint());
    }
  }
  if (!c.done) throw new ReferenceItemError('sketch bytes go on past their bins');
  return b;
}

function addBins(into: Bins, from: Bins): void {
  into.zeros += from.zeros;
  for (const [k, n] of from.pos) into.pos.set(k, (into.pos.get(k) ?? 0) + n);
  for (const [k, n] of from.neg) into.neg.set(k, (into.neg.get(k) ?? 0) + n);
}

/** DDSketch's quantile: the bin at rank `q × (count − 1)`, negatives reversed, zeros between. */
function quantile(b: Bins, q: number): number {
  const count = (m: Map<number, number>) => [...m.values()].reduce((a, n) => a + n, 0);
  const negCount = count(b.neg);
  const rank = q * (negCount + b.zeros + count(b.pos) - 1);
  const keyAtRank = (m: Map<number, number>, r: number, lower: boolean) => {
    const keys = [...m.keys()].sort((x, y) => x - y);
    let running = 0;
    for (const k of keys) {
      running += m.get(k) as number;
      if (lower ? running > r : running >= r + 1) return k;
    }
    return keys[keys.length - 1] as number;
  };
  if (rank < negCount) return -MAPPING.value(keyAtRank(b.neg, negCount - rank - 1, false));
  if (rank < b.zeros + negCount) return 0;
  return MAPPING.value(keyAtRank(b.pos, rank - b.zeros - negCount, true));
}

// ---- window items ---------------------------------------------------------------------------

interface Measure {
  count: number;
  samples: number;
  sumMicros: bigint;
  min: number;
  max: number;
  last: number;
  lastAt: number;
  bins: Bins;
}

/** One window item as this reader parses it. */
interface ParsedItem {
  kind: 'host' | 'service';
  name: string;
  size: number;
  start: number;
  metrics: Map<string, Measure>;
  levels: Map<string, number>;
}

function decodeMeasures(agg: Uint8Array, start: number): Pick<ParsedItem, 'metrics' | 'levels'> {
  const raw = Buffer.from(agg);
  const format = raw[0];
  if (format !== 1 && format !== 2) throw new ReferenceItemError(`packed measures format ${format}: expected 1 or 2`);
  const c = new Cursor(format === 2 ? inflateRawSync(raw.subarray(1)) : raw.subarray(1));
  const metrics = new Map<string, Measure>();
  for (let i = c.uint(); i > 0; i--) {
    const name = c.text();
    const count = c.uint();
    const flags = c.u8();
    const histogramFed = (flags & 0x40) !== 0;
    if ((flags & 0x80) !== 0) throw new ReferenceItemError(`metric ${name}: flag bit 7 set, not in the format`);
    const tens = 10 ** ((flags >> 3) & 7);
    // a varint in units of 10^((flags >> 3) & 7) micro-units, back to the value
    const unit = (x: number) => (x * tens) / 1_000_000;
    if (count === 1 && !histogramFed) {
      const v = (flags & 1) === 1 ? unit(c.sint()) : c.f64();
      const lastAt = start + c.sint();
      metrics.set(name, {
        count,
        samples: 1,
        sumMicros: BigInt(Math.round(v * 1_000_000)),
        min: v,
        max: v,
        last: v,
        lastAt,
        bins: binsOfValue(v),
      });
      continue;
    }
    const samples = histogramFed ? c.uint() : count;
    let sumMicros: bigint;
    let values: number[];
    if ((flags & 7) === 7) {
      sumMicros = c.sbig() * BigInt(tens);
      values = [c.sint(), c.sint(), c.sint()].map(unit);
    } else if ((flags & 7) === 0) {
      sumMicros = c.sbig();
      values = [c.f64(), c.f64(), c.f64()];
    } else throw new ReferenceItemError(`metric ${name}: value flags ${flags & 7}, expected 0 or 7`);
    const [min, max, last] = values as [number, number, number];
    const lastAt = start + c.sint();
    const bins = readBins(c.take(c.uint()));
    metrics.set(name, { count, samples, sumMicros, min, max, last, lastAt, bins });
  }
  const levels = new Map<string, number>();
  for (let i = c.uint(); i > 0; i--) levels.set(c.text(), c.uint());
  if (!c.done) throw new ReferenceItemError('packed measures go on past their levels');
  return { metrics, levels };
}

const pad13 = (n: number) => String(n).padStart(13, '0');

/** FNV-1a (32 bits) of a host name's UTF-8 bytes, mod 16: its bucket. */
function bucket(host: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(host, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h % 16;
}

/** The keys the documented layout gives an item. */
function documentedKeys(i: Pick<ParsedItem, 'kind' | 'name' | 'size' | 'start'>): { pk: string; sk: string } {
  if (i.kind === 'service') return { pk: `S#${i.name}#${i.size}`, sk: pad13(i.start) };
  const span = i.size <= 3_600_000 ? 3_600_000 : 86_400_000;
  return {
    pk: `F#${i.size}#${pad13(Math.floor(i.start / span) * span)}#${bucket(i.name)}`,
    sk: `${pad13(i.start)}#${i.name}`,
  };
}

function number(item: Item, name: string): number {
  const v = item[name]?.N;
  if (v === undefined || !/^-?\d+$/.test(v))
    throw new ReferenceItemError(`${item.pk?.S}/${item.sk?.S}: ${name} is not an integer`);
  return Number(v);
}

function parseItem(item: Item): ParsedItem {
  const kind = item.kind?.S as 'host' | 'service';
  const name = item.name?.S ?? '';
  const size = number(item, 'size');
  const start = number(item, 'ws');
  const agg = item.agg?.B;
  if (!agg) throw new ReferenceItemError(`${item.pk?.S}/${item.sk?.S}: no agg`);
  const parsed: ParsedItem = { kind, name, size, start, ...decodeMeasures(agg, start) };
  const keys = documentedKeys(parsed);
  if (keys.pk !== item.pk?.S || keys.sk !== item.sk?.S)
    throw new ReferenceItemError(`item stored at ${item.pk?.S}/${item.sk?.S}, its layout says ${keys.pk}/${keys.sk}`);
  let n = 0;
  for (const m of parsed.metrics.values()) n += m.samples;
  for (const c of parsed.levels.values()) n += c;
  if (n !== number(item, 'n'))
    throw new ReferenceItemError(`${keys.pk}/${keys.sk}: n = ${item.n?.N}, measures hold ${n}`);
  return parsed;
}

/** A copy of a measure merged into an accumulator (count, exact sum, min, max, last, bins). */
function mergeMeasure(into: Measure | undefined, m: Measure): Measure {
  if (!into) return { ...m, bins: { zeros: m.bins.zeros, pos: new Map(m.bins.pos), neg: new Map(m.bins.neg) } };
  into.count += m.count;
  into.samples += m.samples;
  into.sumMicros += m.sumMicros;
  into.min = Math.min(into.min, m.min);
  into.max = Math.max(into.max, m.max);
  if (m.lastAt > into.lastAt || (m.lastAt === into.lastAt && m.last > into.last)) {
    into.last = m.last;
    into.lastAt = m.lastAt;
  }
  addBins(into.bins, m.bins);
  return into;
}

/**
 * Every window of a table's items, at every size, in the oracle's shape and ids
 * (`metric|<metric>|<host>|<size>|<start>`, `log-service|<service>|<level>|…`,
 * `log-host|<host>|<level>|…`). @throws ReferenceItemError for an item out of its format or place
 */
export function referenceWindows(items: readonly Item[], sizes: readonly number[]): Map<string, OracleWindow> {
  const finest = Math.min(...sizes);
  const parsed = items.filter((i) => i.kind?.S === 'host' || i.kind?.S === 'service').map(parseItem);
  const metrics = new Map<string, Measure>();
  const counts = new Map<string, number>();
  for (const size of sizes) {
    for (const item of parsed) {
      if (item.size !== finest && item.size !== size) continue;
      const start = Math.floor(item.start / size) * size;
      for (const [metric, m] of item.metrics) {
        const id = `metric|${metric}|${item.name}|${size}|${start}`;
        metrics.set(id, mergeMeasure(metrics.get(id), m));
      }
      for (const [level, n] of item.levels) {
        const id = `${item.kind === 'host' ? 'log-host' : 'log-service'}|${item.name}|${level}|${size}|${start}`;
        counts.set(id, (counts.get(id) ?? 0) + n);
      }
    }
  }
  const out = new Map<string, OracleWindow>();
  for (const [id, m] of metrics) {
    out.set(id, {
      count: m.count,
      samples: m.samples,
      sumMicros: m.sumMicros,
      min: m.min,
      max: m.max,
      last: m.last,
      lastAt: m.lastAt,
      // (no quantiles without observations: a window of empty histograms only)
      p50: m.count === 0 ? null : quantile(m.bins, 0.5),
      p95: m.count === 0 ? null : quantile(m.bins, 0.95),
      p99: m.count === 0 ? null : quantile(m.bins, 0.99),
    });
  }
  for (const [id, n] of counts)
    out.set(id, { count: n, samples: n, sumMicros: 0n, min: Infinity, max: -Infinity, last: 0, lastAt: -Infinity });
  return out;
}

// ---- side outputs ---------------------------------------------------------------------------

/** What the side outputs hold, by identity where their bytes are events. */
export interface ReferenceSideOutputs {
  /** Per window size: the identity of each stored late event (one entry per stored item). */
  late: Map<number, string[]>;
  /** Late items whose bytes are missing or do not decode. */
  lateUnread: number;
  /** The identity of each quarantined user record that decodes as an event (one entry per position). */
  quarantinedEvents: string[];
  /** Quarantined positions whose bytes are not an event. */
  poison: number;
}

/** Reads the late and quarantine items, joining quarantine parts by position and decoding their bytes. */
export function referenceSideOutputs(items: readonly Item[], decoder: ReferenceDecoder): ReferenceSideOutputs {
  const identity = (bytes: Buffer): string | undefined => {
    try {
      const e = decoder.decodeEvent(bytes);
      return eventKey(e.producerId, e.producerSeq);
    } catch (error) {
      if (error instanceof ReferenceDecodeError) return undefined;
      throw error;
    }
  };
  const out: ReferenceSideOutputs = { late: new Map(), lateUnread: 0, quarantinedEvents: [], poison: 0 };
  const parts = new Map<string, Buffer[]>();
  for (const item of items) {
    const pk = item.pk?.S ?? '';
    if (pk.startsWith('LATE#')) {
      const size = number(item, 'size');
      const key = item.bytes?.B ? identity(Buffer.from(item.bytes.B)) : undefined;
      if (key === undefined) out.lateUnread++;
      else out.late.set(size, [...(out.late.get(size) ?? []), key]);
    } else if (pk.startsWith('QUARANTINE#')) {
      const position = `${item.shard?.S}:${item.seq?.S}:${item.sub?.N}`;
      const got = parts.get(position) ?? [];
      got[number(item, 'part')] = Buffer.from(item.bytes?.B ?? new Uint8Array());
      parts.set(position, got);
    }
  }
  for (const got of parts.values()) {
    const key = identity(Buffer.concat(got));
    if (key === undefined) out.poison++;
    else out.quarantinedEvents.push(key);
  }
  return out;
}
