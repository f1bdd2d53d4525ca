/**
 * The window state a shard holds between flushes: the windowing fold's state
 * (watermark, producer marks), the last record folded, and the partial window
 * items not yet written. In AWS it travels in the tumbling-window state Lambda
 * returns with each invocation's checkpoint (so a retried invocation starts from
 * the state of the last successful one); locally the event source mapping does
 * the same. Pure: no I/O.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { MetricAggregate } from '#core/windows/aggregates.js';
import { cloneAggregate, mergeInto } from '#core/windows/aggregates.js';
import { type FoldResult, itemId, type ShardState, type WindowItemKey } from '#core/windows/fold.js';
import { formatPosition } from '#core/windows/position.js';
import { ByteReader, ByteWriter } from './byte-codec.js';
import { decodeMarks, encodeMarks } from './checkpoints.js';
import { CorruptItemError } from './errors.js';
import { addEvent, packMeasures, unpackMeasures } from './window-items.js';

/** Events of one window item not yet written, from one shard's positions `(first … last]`. */
export interface PartialItem {
  key: WindowItemKey;
  metrics: Map<string, MetricAggregate>;
  levels: Map<string, number>;
  /** Position (`seq:sub`) of the first event held. */
  first: string;
  /** Position (`seq:sub`) of the last event held. */
  last: string;
  /** Its packed measures as last encoded (cleared when events are added): most partials are untouched by a batch. */
  packed?: Buffer | undefined;
}

/** What a shard holds between flushes. */
export interface HeldState {
  /** Version of the stored checkpoint this state continues (0: none stored). */
  checkpointVersion: number;
  /** Sequence number of that checkpoint ('' before any). */
  checkpointSeq: string;
  /** Shards the checkpoint was seeded from (after a reshard). */
  parents: string[];
  /** Last record folded ('' when none since the checkpoint). */
  lastSeq: string;
  /** The fold's state after `lastSeq`. */
  fold: ShardState;
  /** Partial items by item id. */
  partials: Map<string, PartialItem>;
  /** Latest event time folded since the checkpoint (NaN when none). */
  maxEventTime: number;
}

/**
 * Default seconds a shard holds window state before writing it (Lambda's tumbling window).
 * A minute matches the finest window: a fleet host sending every 10–60 s costs about one
 * write per (host, minute) instead of one per batch it appears in, and windows are visible
 * within a minute and a second, CloudWatch's standard resolution.
 */
export const DEFAULT_FLUSH_INTERVAL_SECONDS = 60;

/** Key of the held state in Lambda's tumbling-window `state` object. */
export const HELD_STATE_KEY = 'pulse';
/** Format byte of the encoded held state. */
const FORMAT = 1;

/**
 * Lambda ends a tumbling window early when its state passes 1 MB (1,048,576 bytes); the hot
 * path flushes before that, when the exact JSON it would return passes this many bytes.
 */
export const HELD_STATE_BUDGET_BYTES = 1_000_000;

/** Merges a partial's aggregates into `into` (same key). */
export function mergePartial(
  into: Pick<PartialItem, 'metrics' | 'levels'>,
  from: Pick<PartialItem, 'metrics' | 'levels'>,
): void {
  for (const [name, m] of from.metrics) {
    const have = into.metrics.get(name);
    if (have) mergeInto(have, m);
    else into.metrics.set(name, cloneAggregate(m));
  }
  for (const [level, n] of from.levels) into.levels.set(level, (into.levels.get(level) ?? 0) + n);
}

/** Encodes a held state as Lambda's tumbling-window state: `{ pulse: <base64 of deflated bytes> }`. */
export function encodeHeldState(h: HeldState): Record<string, string> {
  const w = new ByteWriter();
  w.byte(FORMAT);
  w.varint(h.checkpointVersion);
  w.string(h.checkpointSeq);
  w.varint(h.parents.length);
  for (const p of h.parents) w.string(p);
  w.string(h.lastSeq);
  w.f64(h.fold.watermark);
  w.bytes(encodeMarks(h.fold));
  w.f64(h.maxEventTime);
  w.varint(h.partials.size);
  for (const p of h.partials.values()) {
    w.byte(p.key.kind === 'host' ? 0 : 1);
    w.string(p.key.name);
    w.varint(p.key.size);
    w.f64(p.key.start);
    w.string(p.first);
    w.string(p.last);
    w.bytes((p.packed ??= packMeasures(p, { deflate: false })));
  }
  return { [HELD_STATE_KEY]: deflateRawSync(w.done()).toString('base64') };
}

/** Size of an encoded state as Lambda counts it (its JSON). */
export function heldStateBytes(state: Record<string, string>): number {
  return Buffer.byteLength(JSON.stringify(state));
}

/**
 * Decodes Lambda's tumbling-window state; undefined for the fresh state `{}` a window starts with.
 * @throws CorruptItemError when the state is not one this code wrote
 */
export function decodeHeldState(state: Record<string, unknown> | undefined): HeldState | undefined {
  const raw = state?.[HELD_STATE_KEY];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new CorruptItemError(`tumbling-window state '${HELD_STATE_KEY}' is not a string`);
  let bytes: Buffer;
  try {
    bytes = inflateRawSync(Buffer.from(raw, 'base64'));
  } catch (error) {
    throw new CorruptItemError(`tumbling-window state '${HELD_STATE_KEY}' does not inflate`, { cause: error });
  }
  const r = new ByteReader(bytes);
  const format = r.byte();
  if (format !== FORMAT) throw new CorruptItemError(`unknown held-state format ${format}: expected ${FORMAT}`);
  const checkpointVersion = r.varint();
  const checkpointSeq = r.string();
  const parents = Array.from({ length: r.varint() }, () => r.string());
  const lastSeq = r.string();
  const watermark = r.f64();
  const marks = decodeMarks(r.bytes());
  const maxEventTime = r.f64();
  const partials = new Map<string, PartialItem>();
  for (let n = r.varint(); n > 0; n--) {
    const key: WindowItemKey = {
      kind: r.byte() === 0 ? 'host' : 'service',
      name: r.string(),
      size: r.varint(),
      start: r.f64(),
    };
    const first = r.string();
    const last = r.string();
    const packed = r.bytes();
    const { metrics, levels } = unpackMeasures(packed, key.start);
    partials.set(itemId(key), { key, metrics, levels, first, last, packed: Buffer.from(packed) });
  }
  return { checkpointVersion, checkpointSeq, parents, lastSeq, fold: { watermark, marks }, partials, maxEventTime };
}

/**
 * The held state after `records` (folded into `fold`), as a new state: `h` and its
 * partials are not changed (a partial the records add to is copied), so a state can be
 * folded again from the same start.
 */
export function withFold(h: HeldState, fold: FoldResult, records: readonly { sequenceNumber: string }[]): HeldState {
  const last = records[records.length - 1];
  if (!last) return h;
  const partials = new Map(h.partials);
  const t = fold.table;
  for (const c of fold.contributions) {
    const id = itemId(c.key);
    const have = partials.get(id);
    const firstEvent = c.events[0] as number;
    const lastEvent = c.events[c.events.length - 1] as number;
    const p: PartialItem = {
      key: c.key,
      metrics: new Map(),
      levels: new Map(),
      first: have?.first ?? formatPosition(t.seqs[firstEvent] as string, t.subs[firstEvent] as number),
      last: formatPosition(t.seqs[lastEvent] as string, t.subs[lastEvent] as number),
    };
    if (have) mergePartial(p, have);
    for (const i of c.events) {
      addEvent(
        p,
        t.logs[i] as boolean,
        t.measures[i] as string,
        t.values[i] as number,
        t.ats[i] as number,
        t.histograms[i] ?? null,
      );
    }
    partials.set(id, p);
  }
  const maxEventTime =
    Number.isFinite(fold.maxEventTime) && !(fold.maxEventTime <= h.maxEventTime) ? fold.maxEventTime : h.maxEventTime;
  return { ...h, fold: fold.state, lastSeq: last.sequenceNumber, partials, maxEventTime };
}
