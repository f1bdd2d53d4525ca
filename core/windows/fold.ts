/**
 * The windowing fold of one shard: a pure function from (shard state, decoded
 * records) to the contributions each window item receives, the side outputs
 * (late, quarantined), the duplicates skipped, and the state after the records.
 *
 * Every decision (duplicate, late, future-dated) depends only on the state and
 * the records in stream order, never on how they were batched: so redelivery,
 * bisect and retries replay the same decisions from the same checkpoint.
 */
import type { StreamEvent } from '../contract/consumer.js';
import type { ContractError } from '../contract/errors.js';
import type { LogEvent, MetricSample } from '../contract/events.js';
import { windowStart } from './assign-window.js';
import type { WindowingConfig } from './config.js';
import { invalidLog, invalidMetric } from './validate.js';
import { advanceWatermark, isWindowFinal, NO_WATERMARK } from './watermark.js';

/** A Kinesis record after decoding. */
export interface DecodedRecord {
  sequenceNumber: string;
  partitionKey: string;
  /** Approximate arrival time, epoch ms (the reference for the future-skew bound). */
  arrivalMs: number;
  events: StreamEvent[];
  poison: { subSequenceNumber: number; partitionKey: string; data: Buffer; error: ContractError }[];
  /** Raw user-record bytes by sub-sequence number, for side outputs (late events keep their bytes). */
  rawOf: (sub: number) => Buffer;
}

/** A producer's high-water mark on this shard. */
export interface ProducerMark {
  seq: number;
  /** Arrival time of the record that last advanced it (for expiry). */
  seenAt: number;
}

/** Per-shard state persisted in the checkpoint item. */
export interface ShardState {
  watermark: number;
  marks: Map<string, ProducerMark>;
}

/** Which window item a contribution goes to. */
export interface WindowItemKey {
  kind: 'metric' | 'log-service' | 'log-host';
  /** Series: metric (metric kind) or service/host (log kinds). */
  a: string;
  /** host (metric) or level (logs). */
  b: string;
  size: number;
  start: number;
}

/** Events one window item receives from the records, in stream order. */
export interface Contribution {
  key: WindowItemKey;
  seqs: string[];
  subs: number[];
  /** Metric values (empty for logs). */
  values: number[];
  /** Event times (metrics). */
  ats: number[];
}

/** An event routed to a side output. */
export interface SideOutputEvent {
  sequenceNumber: string;
  subSequenceNumber: number;
  partitionKey: string;
  data: Buffer;
  reason: string;
  /** Code for quarantine (bad-magic, unknown-fingerprint, …, future-dated, invalid-event) or 'late'. */
  code: string;
  /** Window size the event was late for ('late' only). */
  windowSizeMs?: number;
  occurredAt?: number;
  eventType?: string;
}

/** Result of folding records. */
export interface FoldResult {
  contributions: Map<string, Contribution>;
  late: SideOutputEvent[];
  quarantined: SideOutputEvent[];
  duplicates: number;
  eventsIn: number;
  /** Latest event time among applied events (for event-time lag). */
  maxEventTime: number;
  state: ShardState;
}

/** Item id of a window key, unique per (kind, series, size, start). */
export function itemId(k: WindowItemKey): string {
  return `${k.kind}|${k.a}|${k.b}|${k.size}|${k.start}`;
}

/** An empty shard state. */
export function initialState(): ShardState {
  return { watermark: NO_WATERMARK, marks: new Map() };
}

function contribute(
  out: Map<string, Contribution>,
  kind: WindowItemKey['kind'],
  a: string,
  b: string,
  size: number,
  start: number,
  seq: string,
  sub: number,
  value: number,
  at: number,
): void {
  const id = `${kind}|${a}|${b}|${size}|${start}`;
  let c = out.get(id);
  if (!c) {
    c = { key: { kind, a, b, size, start }, seqs: [], subs: [], values: [], ats: [] };
    out.set(id, c);
  }
  c.seqs.push(seq);
  c.subs.push(sub);
  if (kind === 'metric') {
    c.values.push(value);
    c.ats.push(at);
  }
}

/** Folds records (in stream order) onto `state`; `state` itself is not modified. */
export function foldRecords(state: ShardState, records: readonly DecodedRecord[], config: WindowingConfig): FoldResult {
  const marks = new Map(state.marks);
  let watermark = state.watermark;
  const result: FoldResult = {
    contributions: new Map(),
    late: [],
    quarantined: [],
    duplicates: 0,
    eventsIn: 0,
    maxEventTime: Number.NEGATIVE_INFINITY,
    state: { watermark, marks },
  };
  const sizes = config.windowSizesMs;
  let lastArrival = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    const seq = r.sequenceNumber;
    if (r.arrivalMs > lastArrival) lastArrival = r.arrivalMs;
    for (const p of r.poison) {
      result.eventsIn++;
      result.quarantined.push({
        sequenceNumber: seq,
        subSequenceNumber: p.subSequenceNumber,
        partitionKey: p.partitionKey,
        data: p.data,
        code: p.error.code,
        reason: p.error.message,
      });
    }
    for (const e of r.events) {
      result.eventsIn++;
      const ev = e.event;
      const mark = marks.get(ev.producer_id);
      if (mark !== undefined && ev.producer_seq <= mark.seq) {
        result.duplicates++;
        continue;
      }
      marks.set(ev.producer_id, { seq: ev.producer_seq, seenAt: r.arrivalMs });
      const t = ev.occurred_at.getTime();
      const invalid = e.type === 'MetricSample' ? invalidMetric(ev as MetricSample) : invalidLog(ev as LogEvent);
      const future = t > r.arrivalMs + config.maxFutureSkewMs;
      if (invalid || future) {
        result.quarantined.push({
          sequenceNumber: seq,
          subSequenceNumber: e.subSequenceNumber,
          partitionKey: e.partitionKey,
          data: r.rawOf(e.subSequenceNumber),
          code: invalid ? 'invalid-event' : 'future-dated',
          reason: invalid
            ? `${e.type} is invalid: ${invalid}`
            : `occurred_at is ${t - r.arrivalMs} ms after the record arrived, beyond the ${config.maxFutureSkewMs} ms skew bound: fix the source's clock`,
          occurredAt: t,
          eventType: e.type,
        });
        continue;
      }
      for (const size of sizes) {
        const start = windowStart(t, size);
        if (isWindowFinal(start + size, watermark, config.allowedLatenessMs)) {
          result.late.push({
            sequenceNumber: seq,
            subSequenceNumber: e.subSequenceNumber,
            partitionKey: e.partitionKey,
            data: r.rawOf(e.subSequenceNumber),
            code: 'late',
            reason: `window [${start}, ${start + size}) was final at watermark ${watermark}`,
            windowSizeMs: size,
            occurredAt: t,
            eventType: e.type,
          });
          continue;
        }
        if (e.type === 'MetricSample') {
          const m = ev as MetricSample;
          contribute(result.contributions, 'metric', m.metric, m.host, size, start, seq, e.subSequenceNumber, m.value, t);
        } else {
          const l = ev as LogEvent;
          contribute(result.contributions, 'log-service', l.service, l.level, size, start, seq, e.subSequenceNumber, 0, t);
          contribute(result.contributions, 'log-host', l.host, l.level, size, start, seq, e.subSequenceNumber, 0, t);
        }
      }
      if (t > result.maxEventTime) result.maxEventTime = t;
      watermark = advanceWatermark(watermark, t, config.outOfOrdernessMs);
    }
  }
  // Forget producers not seen for producerMarkTtlMs (bounded checkpoint size).
  for (const [id, m] of marks) if (m.seenAt < lastArrival - config.producerMarkTtlMs) marks.delete(id);
  result.state = { watermark, marks };
  return result;
}
