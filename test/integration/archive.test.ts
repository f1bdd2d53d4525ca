import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { ArchiveReader } from '#core/ops/archive.js';
import { Producer } from '#core/produce/producer.js';
import { logEvent, metricBody } from '#test/helpers/events.js';
import { readAll, useLocalKinesis } from '#test/helpers/local-kinesis.js';
import { useLocalLake } from '#test/helpers/local-lake.js';

const registry = SchemaRegistry.load();
const kinesis = useLocalKinesis();
const lake = useLocalLake();

describe('the archive read back as the stream', () => {
  it('gives each shard its records in stream order, each record whole, as the stream holds them', async () => {
    // Prepare: 3,000 events of both types in one shard (more than a DuckDB chunk of 2,048 rows), aggregated
    const stream = await kinesis.newStream(1);
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry, lingerMs: 5 });
    const at = Date.UTC(2026, 10, 22, 12);
    for (let i = 0; i < 3_000; i++) {
      const host = `server-00${(i % 5) + 1}`;
      if (i % 4 === 0) {
        const {
          event_id: _e,
          producer_id: _p,
          producer_seq: _s,
          ...body
        } = logEvent(1, { host, occurred_at: new Date(at + i) });
        await producer.put('LogEvent', body);
      } else await producer.put('MetricSample', metricBody({ host, value: i, occurred_at: new Date(at + i) }));
      if (i % 70 === 69) await producer.flush(); // records of about 70 events: one crosses row 2,048
    }
    await producer.close();
    const onStream = await readAll(kinesis.kinesis, stream, registry);
    const { dir } = await lake.archive(kinesis.kinesis, stream, registry);

    // Act: batches of 3 records
    const archive = await ArchiveReader.open(registry, dir);
    const read: { shardId: string; batch: number; seq: string; sub: number; id: unknown; type: string }[] = [];
    const batchSizes: number[] = [];
    let batch = 0;
    for (const shardId of await archive.shards()) {
      for await (const records of archive.records(shardId, 3)) {
        batchSizes.push(records.length);
        batch++;
        for (const r of records) {
          for (const e of r.events) {
            read.push({
              shardId,
              batch,
              seq: r.sequenceNumber,
              sub: e.subSequenceNumber,
              id: e.event.event_id,
              type: e.type,
            });
          }
        }
      }
    }
    archive.close();

    // Assess: the same events, at the same places, in the same order; a record never split
    const expected = onStream.map((e) => ({
      shardId: e.shardId,
      seq: e.sequenceNumber,
      sub: e.subSequenceNumber,
      id: e.event.event_id,
      type: e.type,
    }));
    expect(read.map(({ batch: _b, ...rest }) => rest)).toEqual(expected);
    expect(read).toHaveLength(3_000);
    expect(Math.max(...batchSizes)).toBe(3);
    expect(new Set(read.map((r) => r.seq)).size).toBeGreaterThan(40);
    const batchesOfRecord = new Map<string, Set<number>>();
    for (const r of read) batchesOfRecord.set(r.seq, (batchesOfRecord.get(r.seq) ?? new Set()).add(r.batch));
    expect([...batchesOfRecord.values()].every((b) => b.size === 1)).toBe(true);
  }, 120_000);
});
