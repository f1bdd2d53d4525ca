import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { readShard, shardPages } from '../../core/local/streams.js';
import { useLocalKinesis } from '../helpers/local-kinesis.js';

const local = useLocalKinesis();

describe('reading a local shard', () => {
  it('gives a shard page by page, each at most the limit, every record once and in order', async () => {
    // Prepare: 1,200 records on one shard
    const stream = await local.newStream(1);
    for (let i = 0; i < 1_200; i += 500) {
      const Records = Array.from({ length: Math.min(500, 1_200 - i) }, (_, j) => ({
        PartitionKey: 'k',
        Data: Buffer.from(`r${i + j}`),
      }));
      await local.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records }));
    }
    const pages: string[][] = [];
    // Act
    for await (const page of shardPages(local.kinesis, stream, 'shardId-000000000000', 500)) {
      pages.push(page.map((r) => Buffer.from(r.Data ?? new Uint8Array()).toString()));
    }
    const all = await readShard(local.kinesis, stream, 'shardId-000000000000');
    // Assess
    expect(pages.map((p) => p.length)).toEqual([500, 500, 200]);
    expect(pages.flat()).toEqual(Array.from({ length: 1_200 }, (_, i) => `r${i}`));
    expect(all.map((r) => r.SequenceNumber)).toHaveLength(1_200);
  });
});
