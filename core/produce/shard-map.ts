/**
 * Which open shard owns a partition key: MD5 of the key as a 128-bit unsigned
 * integer, matched against the shards' hash key ranges (as Kinesis and the KPL do).
 */
import { createHash } from 'node:crypto';
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { listShards } from '#core/clients/kinesis.js';

/** An open shard and its inclusive hash key range. */
export interface ShardRange {
  shardId: string;
  start: bigint;
  end: bigint;
}

/** The 128-bit hash Kinesis assigns to a partition key. */
export function partitionKeyHash(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** Open shards sorted by hash range, with lookup by partition key. */
export class ShardMap {
  readonly shards: readonly ShardRange[];
  private readonly cache = new Map<string, { shard: ShardRange; hash: string }>();

  constructor(shards: ShardRange[]) {
    if (shards.length === 0) throw new Error('stream has no open shards: wait until it is ACTIVE');
    this.shards = [...shards].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  /** Builds the map from `ListShards` output, keeping only open shards (no ending sequence number). */
  static fromShards(shards: readonly Shard[]): ShardMap {
    return new ShardMap(
      shards
        .filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined)
        .map((s) => ({
          shardId: s.ShardId as string,
          start: BigInt(s.HashKeyRange?.StartingHashKey ?? '0'),
          end: BigInt(s.HashKeyRange?.EndingHashKey ?? '0'),
        })),
    );
  }

  /** Lists the stream's shards and builds the map. */
  static async load(kinesis: Pick<KinesisClient, 'send'>, streamName: string): Promise<ShardMap> {
    return ShardMap.fromShards(await listShards(kinesis, streamName));
  }

  /** The shard owning `partitionKey` and the key's hash as a decimal string (the explicit hash key). */
  lookup(partitionKey: string): { shard: ShardRange; hash: string } {
    let hit = this.cache.get(partitionKey);
    if (hit) return hit;
    const h = partitionKeyHash(partitionKey);
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.shards[mid] as ShardRange).start <= h) lo = mid;
      else hi = mid - 1;
    }
    const shard = this.shards[lo] as ShardRange;
    if (h < shard.start || h > shard.end)
      throw new Error(`no open shard covers hash ${h}: the shard list is inconsistent`);
    hit = { shard, hash: h.toString() };
    if (this.cache.size < 100_000) this.cache.set(partitionKey, hit);
    return hit;
  }
}
