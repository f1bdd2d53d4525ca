import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { readShard, shardPages } from '#local/streams.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';

const local = useLocalKinesis();

describe('reading a local shard', () => {
  it('gives a shard page by page, every record once and in order, each page near its byte budget', async () => {
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
    // (records 'r0'…'r1199' of 2–5 bytes; a first page of 500, then about 2,000 bytes a page)
    for await (const page of shardPages(local.kinesis, stream, 'shardId-000000000000', 500, 2_000)) {
      pages.push(page.map((r) => Buffer.from(r.Data ?? new Uint8Array()).toString()));
    }
    const all = await readShard(local.kinesis, stream, 'shardId-000000000000');
    // Assess
    // 500 records of 1,890 bytes (3.78 on average) → 529 of 4 bytes fit in 2,000; then the 171 left
    expect(pages.map((p) => p.length)).toEqual([500, 529, 171]);
    expect(pages.flat()).toEqual(Array.from({ length: 1_200 }, (_, i) => `r${i}`));
    expect(all.map((r) => r.SequenceNumber)).toHaveLength(1_200);
  });
});
