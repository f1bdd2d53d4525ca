import { describe, expect, it } from 'vitest';
import { progressBar } from '#cli/commands/rebuild.js';

describe('rebuild progress bar', () => {
  it('fills over the archive records when their number is known, else over the shards', () => {
    // Prepare
    const archive = { records: 2_500, shardsDone: 1, shards: 4, archiveRecords: 10_000 };
    const stream = { records: 1_234_567, shardsDone: 3, shards: 4 };
    const past = { records: 12_000, shardsDone: 4, shards: 4, archiveRecords: 10_000 };
    // Act
    const lines = [archive, stream, past].map((p) => progressBar(p, 10));
    // Assess
    expect(lines).toEqual([
      '[###.......] 25%  2,500 records  shard 1/4',
      '[########..] 75%  1,234,567 records  shard 3/4',
      '[##########] 100%  12,000 records  shard 4/4',
    ]);
  });
});
