/**
 * The producer's lanes: one per shard, each with the aggregate being filled and the
 * queue of sealed records waiting for Kinesis. At most one record of a lane is in
 * flight, and its head is retried before anything newer, which keeps each shard's order.
 * After a reshard, the lanes of closed shards retire: they drain before any open lane sends.
 */
import type { AggregateBuilder } from '#core/contract/kpl.js';
import type { PackableRecord } from './request-packer.js';

/** A sealed aggregated record waiting in its lane's queue. */
export interface PendingRecord extends PackableRecord {
  data: Buffer;
  /** The lane whose queue holds it. */
  lane: Lane;
  explicitHashKey: string;
  /** User records (events) in the aggregate. */
  events: number;
  firstSeq: number;
  lastSeq: number;
  /** Failed attempts so far. */
  attempts: number;
  lastError: string;
}

/** One shard's lane. */
export interface Lane {
  shardId: string;
  /** The aggregate being filled; null between seals. */
  builder: AggregateBuilder | null;
  /** Partition key and explicit hash key of the aggregate being filled (its first event's). */
  partitionKey: string;
  explicitHashKey: string;
  firstSeq: number;
  lastSeq: number;
  /** When the aggregate being filled was opened (epoch ms). */
  openedAt: number;
  queue: PendingRecord[];
  /** Its head is in a PutRecords request. */
  inFlight: boolean;
  /** Its head may not be sent before this (epoch ms; 0 = now). */
  retryAt: number;
}

/** The open lanes by shard, and the retired lanes still draining. */
export class Lanes {
  private readonly open = new Map<string, Lane>();
  private readonly retired = new Set<Lane>();

  /** The open lane of a shard, created empty on first use. */
  of(shardId: string): Lane {
    let lane = this.open.get(shardId);
    if (!lane) {
      lane = {
        shardId,
        builder: null,
        partitionKey: '',
        explicitHashKey: '',
        firstSeq: 0,
        lastSeq: 0,
        openedAt: 0,
        queue: [],
        inFlight: false,
        retryAt: 0,
      };
      this.open.set(shardId, lane);
    }
    return lane;
  }

  /** Closes a lane's aggregate (if it holds events) into a record at the back of its queue. */
  seal(lane: Lane): void {
    const b = lane.builder;
    if (!b || b.count === 0) return;
    lane.queue.push({
      data: b.build(),
      lane,
      partitionKey: lane.partitionKey,
      explicitHashKey: lane.explicitHashKey,
      events: b.count,
      firstSeq: lane.firstSeq,
      lastSeq: lane.lastSeq,
      attempts: 0,
      lastError: '',
    });
    lane.builder = null;
  }

  /** Seals every open lane, and the retired ones too when `retired`. */
  sealAll(options: { retired: boolean }): void {
    for (const l of this.open.values()) this.seal(l);
    if (options.retired) for (const l of this.retired) this.seal(l);
  }

  /** Seals the open lanes whose aggregate has waited `lingerMs` by `now`. */
  sealLingering(now: number, lingerMs: number): void {
    for (const l of this.open.values()) if (l.builder && now - l.openedAt >= lingerMs) this.seal(l);
  }

  /**
   * The heads that may be sent at `now`, in lane order (only the retired lanes' while any
   * drain), and the earliest end of a backoff among the heads that may not yet.
   */
  ready(now: number): { heads: PendingRecord[]; backoffEndsAt: number } {
    const heads: PendingRecord[] = [];
    let backoffEndsAt = Number.POSITIVE_INFINITY;
    const candidates = this.retired.size > 0 ? this.retired : this.open.values();
    for (const lane of candidates) {
      const head = lane.queue[0];
      if (lane.inFlight || !head) continue;
      if (lane.retryAt > now) backoffEndsAt = Math.min(backoffEndsAt, lane.retryAt);
      else heads.push(head);
    }
    return { heads, backoffEndsAt };
  }

  /** When the earliest open aggregate has lingered `lingerMs` (infinity without one). */
  lingerEndsAt(lingerMs: number): number {
    let at = Number.POSITIVE_INFINITY;
    for (const l of this.open.values()) if (l.builder) at = Math.min(at, l.openedAt + lingerMs);
    return at;
  }

  /** True while any lane holds events: an aggregate, a queued record, or a retired lane. */
  hasWork(): boolean {
    if (this.retired.size > 0) return true;
    for (const l of this.open.values()) if (l.queue.length > 0 || l.builder) return true;
    return false;
  }

  /** Forgets a retired lane once it has drained (its head was accepted or given up on). */
  settle(lane: Lane): void {
    if (this.retired.has(lane) && lane.queue.length === 0 && !lane.builder) this.retired.delete(lane);
  }

  /** After a reshard: the lanes of shards not in `openShardIds` seal, and retire if they hold records. */
  retireClosed(openShardIds: ReadonlySet<string>): void {
    for (const [id, lane] of this.open) {
      if (openShardIds.has(id)) continue;
      this.seal(lane);
      this.open.delete(id);
      if (lane.queue.length > 0) this.retired.add(lane);
    }
  }
}
