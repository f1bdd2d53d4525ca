/** Parent shards of a shard, from ListShards, to seed a child's checkpoint after a reshard. */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { listShards, parentShardIds } from '#core/clients/kinesis.js';

/** Returns a lookup of parent shard ids (cached per process: lineage never changes). */
export function kinesisParentsOf(kinesis: KinesisClient, streamName: string): (shardId: string) => Promise<string[]> {
  const cache = new Map<string, string[]>();
  return async (shardId) => {
    if (!cache.has(shardId)) {
      for (const s of await listShards(kinesis, streamName)) {
        cache.set(s.ShardId as string, parentShardIds(s));
      }
    }
    return cache.get(shardId) ?? [];
  };
}
