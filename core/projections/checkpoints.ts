/**
 * Shard checkpoints: per shard, the last record whose every effect is stored,
 * with the watermark and producer high-water marks as of that record.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { type AttributeValue, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { queryAll } from '#core/clients/dynamodb.js';
import { initialState, type ShardState } from '#core/windows/fold.js';
import { NO_WATERMARK } from '#core/windows/watermark.js';
import { writeUnitsOf } from '#core/cost/item-size.js';
import { CHECKPOINT_PK } from './table.js';
import { isEphemeralProducer } from '#core/windows/producer-ids.js';

/** A stored checkpoint. */
export interface Checkpoint {
  shardId: string;
  /** Sequence number of the last fully applied record ('' before any). */
  sequenceNumber: string;
  state: ShardState;
  /** Increments on every write; writes are conditional on it (0 = none stored). */
  version: number;
  /** Shards this one was seeded from (after a reshard). */
  parents: string[];
}

/**
 * Most producer marks a checkpoint keeps, and most bytes they may take once deflated
 * (DynamoDB items hold 400 KB). Past either, marks of ephemeral producers (keyless
 * ingest requests, see core/windows/producer-ids.ts) are dropped first, then the least
 * recently seen: a duplicate from one of those (a retry arriving after that many newer
 * producer-host pairs, hours later at high rates of units) would be counted again.
 */
export const MAX_PRODUCER_MARKS = 50_000;
/** See {@link MAX_PRODUCER_MARKS}. */
export const MAX_MARK_BYTES = 300_000;

/** The marks, most recently seen first, deflated within both bounds. */
export function encodeMarks(state: ShardState): Buffer {
  const entries: [string, string, number, number][] = [];
  for (const [id, hosts] of state.marks) for (const [host, m] of hosts) entries.push([id, host, m.seq, m.seenAt]);
  const encode = (n: number) => deflateRawSync(JSON.stringify(entries.slice(0, n)));
  // What is kept first when not all fit: durable producers' marks, most recently seen first.
  const byKeep = (a: (typeof entries)[number], b: (typeof entries)[number]) =>
    Number(isEphemeralProducer(a[0])) - Number(isEphemeralProducer(b[0])) || b[3] - a[3];
  const kept = Math.min(entries.length, MAX_PRODUCER_MARKS);
  if (kept < entries.length) entries.sort(byKeep);
  const out = encode(kept);
  if (out.length <= MAX_MARK_BYTES) return out;
  entries.sort(byKeep);
  // The largest prefix that fits: binary search (only ever run on overflow).
  let lo = 0;
  let hi = kept;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (encode(mid).length <= MAX_MARK_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return encode(lo);
}

/** Inverse of {@link encodeMarks}. */
export function decodeMarks(b: Uint8Array | undefined): ShardState['marks'] {
  const marks: ShardState['marks'] = new Map();
  if (!b) return marks;
  for (const [id, host, seq, seenAt] of JSON.parse(inflateRawSync(b).toString('utf8')) as [
    string,
    string,
    number,
    number,
  ][]) {
    let hosts = marks.get(id);
    if (!hosts) marks.set(id, (hosts = new Map()));
    hosts.set(host, { seq, seenAt });
  }
  return marks;
}

function fromItem(item: Record<string, AttributeValue>): Checkpoint {
  return {
    shardId: item.sk?.S ?? '',
    sequenceNumber: item.seq?.S ?? '',
    state: { watermark: Number(item.watermark?.N ?? NO_WATERMARK), marks: decodeMarks(item.marks?.B) },
    version: Number(item.v?.N ?? 0),
    parents: item.parents?.L?.map((p) => p.S ?? '') ?? [],
  };
}

/** Reads and writes checkpoint items. */
export class CheckpointStore {
  constructor(
    private readonly ddb: Pick<DynamoDBClient, 'send'>,
    private readonly tableName: string,
  ) {}

  /** The checkpoint of a shard, or undefined when none is stored (strongly consistent). */
  async get(shardId: string): Promise<Checkpoint | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: CHECKPOINT_PK }, sk: { S: shardId } },
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** Every stored checkpoint. */
  async all(): Promise<Checkpoint[]> {
    const items = await queryAll(this.ddb, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: CHECKPOINT_PK } },
      ConsistentRead: true,
    });
    return items.map(fromItem);
  }

  /** A fresh checkpoint for a shard, seeded from its parents' checkpoints after a reshard. */
  async seed(shardId: string, parents: string[]): Promise<Checkpoint> {
    const state = initialState();
    const found = (await Promise.all(parents.map((p) => this.get(p)))).filter((c): c is Checkpoint => !!c);
    if (found.length > 0) {
      // The child continues its parents' event-time clock: the slower parent's watermark (nothing
      // on time becomes late), and every producer's highest mark (a retry landing on the child is
      // still recognised as a duplicate).
      state.watermark = Math.min(...found.map((c) => c.state.watermark));
      for (const c of found) {
        for (const [id, hosts] of c.state.marks) {
          let mine = state.marks.get(id);
          if (!mine) state.marks.set(id, (mine = new Map()));
          for (const [host, m] of hosts) {
            const have = mine.get(host);
            if (!have || m.seq > have.seq) mine.set(host, m);
          }
        }
      }
    }
    return { shardId, sequenceNumber: '', state, version: 0, parents };
  }

  /**
   * Stores a checkpoint if nobody else wrote one since `expectedVersion`.
   * @returns whether it was stored (false: the condition failed, another invocation moved
   *   on) and the write units the attempt was billed (a failed condition is billed too)
   */
  async put(cp: Checkpoint, expectedVersion: number): Promise<{ stored: boolean; writeUnits: number }> {
    const Item: Record<string, AttributeValue> = {
      pk: { S: CHECKPOINT_PK },
      sk: { S: cp.shardId },
      seq: { S: cp.sequenceNumber },
      watermark: { N: String(cp.state.watermark) },
      marks: { B: encodeMarks(cp.state) },
      v: { N: String(cp.version) },
      parents: { L: cp.parents.map((p) => ({ S: p })) },
      updatedAt: { N: String(Date.now()) },
    };
    const writeUnits = writeUnitsOf(Item);
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item,
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } } }),
        }),
      );
      return { stored: true, writeUnits };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return { stored: false, writeUnits };
      throw error;
    }
  }
}
