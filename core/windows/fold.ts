/**
 * The windowing fold of one shard: a pure function from (shard state, decoded
 * records) to the contributions each window item receives, the side outputs
 * (late, quarantined), the duplicates skipped, and the state after the records.
 *
 * Every decision (duplicate, late, future-dated) depends only on the state and
 * the records in stream order, never on how they were batched: so redelivery,
 * bisect and retries replay the same decisions from the same checkpoint.
 */
import type { StreamEvent } from '#core/contract/consumer.js';
import type { ContractError } from '#core/contract/errors.js';
import type { Histogram, LogEvent, MetricSample } from '#core/contract/events.js';
import { windowStart } from './assign-window.js';
import type { WindowingConfig } from './config.js';
import { invalidLog, invalidMetric } from './validate.js';
import { EPHEMERAL_MARK_TTL_MS, isEphemeralProducer } from './producer-ids.js';
import { advanceWatermark, isWindowFinal, NO_WATERMARK } from './watermark.js';

/**
 * The fields the windows read. The hot path decodes with these projections of
 * the latest schemas, so Avro skips every other field's bytes (event_id, tags,
 * message, …) instead of building strings and maps it would throw away, and
 * `occurred_at` comes back as epoch ms rather than a Date.
 */
export const WINDOW_READERS = {
  MetricSample: { fields: ['producer_id', 'producer_seq', 'occurred_at', 'host', 'metric', 'value', 'histogram'] },
  LogEvent: { fields: ['producer_id', 'producer_seq', 'occurred_at', 'host', 'service', 'level'] },
} as const;

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

/** A producer's high-water mark for one host on this shard. */
export interface ProducerMark {
  seq: number;
  /** Arrival time of the record that last advanced it (for expiry). */
  seenAt: number;
}

/** Per-shard state persisted in the checkpoint item. */
export interface ShardState {
  watermark: number;
  /** Marks by producer_id, then host. */
  marks: Map<string, Map<string, ProducerMark>>;
}

/**
 * Which window item a contribution goes to: one item per (host, window) holding all of
 * that host's measures (metrics, and log counts by level with `logCountsByHost`), or one
 * per (service, window) holding its log counts by level. Items of the finest size hold
 * every event on time for it; items of a coarser size hold only the corrections: events
 * late for their finest window but on time for the coarser one (see window-views.ts).
 */
export interface WindowItemKey {
  kind: 'host' | 'service';
  /** Host or service name. */
  name: string;
  size: number;
  start: number;
}

/** The applied events of a fold, as columns indexed by event number (stream order). */
export interface EventTable {
  seqs: string[];
  subs: number[];
  /** Metric value (0 for logs); a histogram sample's mean. */
  values: number[];
  /** A metric sample's histogram (MetricSample v3), else null. */
  histograms: (Histogram | null)[];
  /** Event time, epoch ms. */
  ats: number[];
  /** Metric name, or log level. */
  measures: string[];
  /** True for a log event (its measure is a level count). */
  logs: boolean[];
}

/** Events one window item receives from the records: indexes into the fold's {@link EventTable}, ascending. */
export interface Contribution {
  key: WindowItemKey;
  events: number[];
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
  contributions: Contribution[];
  table: EventTable;
  late: SideOutputEvent[];
  quarantined: SideOutputEvent[];
  duplicates: number;
  eventsIn: number;
  /** Latest event time among applied events (for event-time lag). */
  maxEventTime: number;
  state: ShardState;
}

/** Item id of a window key, unique per (kind, name, size, start). */
export function itemId(k: WindowItemKey): string {
  return `${k.kind}|${k.name}|${k.size}|${k.start}`;
}

/** An empty shard state. */
export function initialState(): ShardState {
  return { watermark: NO_WATERMARK, marks: new Map() };
}

/** Contributions of one kind by name → window size index → window start (no key string built per event). */
type Index = Map<string, Map<number, Contribution>[]>;

function contributionFor(
  index: Index,
  out: Contribution[],
  kind: WindowItemKey['kind'],
  name: string,
  sizeIndex: number,
  size: number,
  start: number,
): Contribution {
  let bySize = index.get(name);
  if (!bySize) index.set(name, (bySize = []));
  let byStart = bySize[sizeIndex];
  if (!byStart) bySize[sizeIndex] = byStart = new Map();
  let c = byStart.get(start);
  if (!c) {
    c = { key: { kind, name, size, start }, events: [] };
    byStart.set(start, c);
    out.push(c);
  }
  return c;
}

/**
 * Folds records one at a time (in stream order) onto a starting state, which is
 * not modified. Records can be dropped after {@link WindowFold.add}: only the
 * applied events' columns are kept, so a large batch does not keep every decoded
 * event alive (which made garbage collection the hot path's largest cost).
 */
export class WindowFold {
  private readonly marks: Map<string, Map<string, ProducerMark>>;
  /** Producers whose host map this fold has copied (copy on write keeps the starting state intact). */
  private readonly copied = new Set<string>();
  private watermark: number;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private readonly table: EventTable = {
    seqs: [],
    subs: [],
    values: [],
    histograms: [],
    ats: [],
    measures: [],
    logs: [],
  };
  private readonly hostIndex: Index = new Map();
  private readonly serviceIndex: Index = new Map();
  private readonly result: FoldResult;

  constructor(
    state: ShardState,
    private readonly config: WindowingConfig,
  ) {
    this.marks = new Map(state.marks);
    this.watermark = state.watermark;
    this.result = {
      contributions: [],
      table: this.table,
      late: [],
      quarantined: [],
      duplicates: 0,
      eventsIn: 0,
      maxEventTime: Number.NEGATIVE_INFINITY,
      state,
    };
  }

  /** Folds one record. */
  add(r: DecodedRecord): void {
    const { config, marks, table, result } = this;
    const sizes = config.windowSizesMs;
    const seq = r.sequenceNumber;
    if (r.arrivalMs > this.lastArrival) this.lastArrival = r.arrivalMs;
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
      // Marks are per (producer, host): a host's events always leave the producer in order,
      // even when a merge makes two of its shard lanes deliver into one child shard.
      let hosts = marks.get(ev.producer_id);
      const mark = hosts?.get(ev.host);
      // A mark unseen for producerMarkTtlMs before this record is expired, whatever the batching.
      if (mark !== undefined && ev.producer_seq <= mark.seq && mark.seenAt >= r.arrivalMs - config.producerMarkTtlMs) {
        result.duplicates++;
        continue;
      }
      if (!hosts || !this.copied.has(ev.producer_id)) {
        hosts = new Map(hosts);
        marks.set(ev.producer_id, hosts);
        this.copied.add(ev.producer_id);
      }
      hosts.set(ev.host, { seq: ev.producer_seq, seenAt: r.arrivalMs });
      // Projected readers (WINDOW_READERS) give epoch ms; full readers give a Date.
      const at = ev.occurred_at as Date | number;
      const t = typeof at === 'number' ? at : at.getTime();
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
      const n = table.seqs.length;
      let indexed = false;
      // On time for the finest window: that window's item holds it, and every coarser window
      // is derived from the finest ones. Late for it but on time for a coarser window: the
      // coarser window's item holds it as a correction.
      let onTimeForFinest = false;
      for (let si = 0; si < sizes.length; si++) {
        const size = sizes[si] as number;
        const start = windowStart(t, size);
        if (isWindowFinal(start + size, this.watermark, config.allowedLatenessMs)) {
          result.late.push({
            sequenceNumber: seq,
            subSequenceNumber: e.subSequenceNumber,
            partitionKey: e.partitionKey,
            data: r.rawOf(e.subSequenceNumber),
            code: 'late',
            reason: `window [${start}, ${start + size}) was final at watermark ${this.watermark}`,
            windowSizeMs: size,
            occurredAt: t,
            eventType: e.type,
          });
          continue;
        }
        if (si === 0) onTimeForFinest = true;
        else if (onTimeForFinest) break; // on time for every coarser size too: derived
        if (!indexed) {
          indexed = true;
          const isLog = e.type !== 'MetricSample';
          table.seqs.push(seq);
          table.subs.push(e.subSequenceNumber);
          table.values.push(isLog ? 0 : (ev as MetricSample).value);
          table.histograms.push(isLog ? null : ((ev as MetricSample).histogram ?? null));
          table.ats.push(t);
          table.measures.push(isLog ? (ev as LogEvent).level : (ev as MetricSample).metric);
          table.logs.push(isLog);
        }
        const out = result.contributions;
        if (e.type === 'MetricSample') {
          contributionFor(this.hostIndex, out, 'host', ev.host, si, size, start).events.push(n);
        } else {
          const l = ev as LogEvent;
          contributionFor(this.serviceIndex, out, 'service', l.service, si, size, start).events.push(n);
          if (config.logCountsByHost)
            contributionFor(this.hostIndex, out, 'host', l.host, si, size, start).events.push(n);
        }
      }
      if (t > result.maxEventTime) result.maxEventTime = t;
      this.watermark = advanceWatermark(this.watermark, t, config.outOfOrdernessMs);
    }
  }

  /** The result; the fold must not be used afterwards. */
  finish(): FoldResult {
    // Drop expired marks from the checkpoint. Lookups already ignore them; the extra hour keeps
    // this from depending on where a batch ends when arrival times wobble.
    const horizon = this.lastArrival - this.config.producerMarkTtlMs - 3_600_000;
    // Ephemeral producers (keyless ingest requests) can only repeat within their own retries.
    const ephemeralHorizon = this.lastArrival - Math.min(this.config.producerMarkTtlMs, EPHEMERAL_MARK_TTL_MS);
    for (const [id, hosts] of this.marks) {
      const from = isEphemeralProducer(id) ? Math.max(horizon, ephemeralHorizon) : horizon;
      const live = [...hosts].filter(([, m]) => m.seenAt >= from);
      if (live.length === 0) this.marks.delete(id);
      else if (live.length < hosts.size) this.marks.set(id, new Map(live)); // a copy: the input state stays intact
    }
    this.result.state = { watermark: this.watermark, marks: this.marks };
    return this.result;
  }
}

/** Folds records (in stream order) onto `state`; `state` itself is not modified. */
export function foldRecords(state: ShardState, records: readonly DecodedRecord[], config: WindowingConfig): FoldResult {
  const fold = new WindowFold(state, config);
  for (const r of records) fold.add(r);
  return fold.finish();
}
