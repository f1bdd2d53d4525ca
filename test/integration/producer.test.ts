import { SplitShardCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import type { EventBody, EventType } from '#core/contract/events.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { waitActive } from '#local/streams.js';
import { EventsDroppedError, OversizedEventError } from '#core/produce/errors.js';
import { Producer } from '#core/produce/producer.js';
import { ShardMap } from '#core/produce/shard-map.js';
import { metricBody } from '#test/helpers/events.js';
import { faultyKinesis, readAll, useLocalKinesis } from '#test/helpers/local-kinesis.js';

const registry = SchemaRegistry.load();
const local = useLocalKinesis();

/** `n` metric bodies round-robin over `hosts` hosts. */
function fleet(n: number, hosts = 10): EventBody<'MetricSample'>[] {
  return Array.from({ length: n }, (_, i) =>
    metricBody({
      host: `server-${String((i % hosts) + 1).padStart(3, '0')}`,
      value: i,
      occurred_at: new Date(1_700_000_000_000 + i),
    }),
  );
}

async function produce(producer: Producer, bodies: EventBody<'MetricSample'>[]): Promise<void> {
  for (const b of bodies) await producer.put('MetricSample' as EventType, b);
  await producer.close();
}

/** For each host, the producer_seq values in stream order must be strictly increasing. */
function assertOrderedPerHost(events: { event: { host: string; producer_seq: number } }[]): void {
  const last = new Map<string, number>();
  for (const { event } of events) {
    expect(event.producer_seq).toBeGreaterThan(last.get(event.host) ?? 0);
    last.set(event.host, event.producer_seq);
  }
}

describe('Producer against kinesalite', () => {
  it('N events in, N events read back, in order per host, each on the shard its key owns', async () => {
    // Prepare
    const stream = await local.newStream(4);
    const producer = await Producer.create({ kinesis: local.kinesis, streamName: stream, registry });
    const bodies = fleet(20_000);
    // Act
    await produce(producer, bodies);
    const events = await readAll(local.kinesis, stream, registry);
    // Assess
    expect(events.length).toBe(20_000);
    expect(new Set(events.map((e) => e.event.event_id)).size).toBe(20_000);
    assertOrderedPerHost(events as never);
    const map = await ShardMap.load(local.kinesis, stream);
    for (const e of events) expect(e.shardId).toBe(map.lookup(e.event.host).shard.shardId);
    const stats = producer.stats();
    expect(stats).toMatchObject({
      eventsPut: 20_000,
      eventsAccepted: 20_000,
      retries: 0,
      eventsDropped: 0,
      bufferedBytes: 0,
    });
    expect(stats.recordsAccepted).toBeLessThan(100); // aggregated, not one record per event
  });

  it('retries only the failed entries of a partial failure and keeps each host in order', async () => {
    // Prepare: the first 6 PutRecords calls throttle every other entry
    const stream = await local.newStream(4);
    const faulty = faultyKinesis(local.kinesis, (call, i) => (call < 6 && i % 2 === 0 ? 'throttle' : 'ok'));
    const producer = await Producer.create({
      kinesis: faulty,
      streamName: stream,
      registry,
      lingerMs: 5,
      maxRecordBytes: 8_192, // many small aggregates, so requests carry several shards
      baseBackoffMs: 1,
      maxBackoffMs: 5,
    });
    // Act
    await produce(producer, fleet(5_000));
    const events = await readAll(local.kinesis, stream, registry);
    // Assess
    expect(faulty.failedEntries).toBeGreaterThan(0);
    expect(producer.stats().retries).toBe(faulty.failedEntries);
    expect(events.map((e) => e.event.producer_seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 5_000 }, (_, i) => i + 1),
    );
    assertOrderedPerHost(events as never);
  });

  it('retries a whole request that throws', async () => {
    // Prepare
    const stream = await local.newStream(2);
    const faulty = faultyKinesis(local.kinesis, (call) => (call < 2 ? 'throw' : 'ok'));
    const producer = await Producer.create({
      kinesis: faulty,
      streamName: stream,
      registry,
      baseBackoffMs: 1,
      maxBackoffMs: 2,
    });
    // Act
    await produce(producer, fleet(1_000));
    // Assess
    expect((await readAll(local.kinesis, stream, registry)).length).toBe(1_000);
    expect(producer.stats().retries).toBe(faulty.failedEntries);
  });

  it('reports events it gives up on, from flush() and onDrop, never silently', async () => {
    // Prepare: every entry for every call throttles
    const stream = await local.newStream(1);
    const drops: number[] = [];
    const producer = await Producer.create({
      kinesis: faultyKinesis(local.kinesis, () => 'throttle'),
      streamName: stream,
      registry,
      maxAttempts: 3,
      baseBackoffMs: 1,
      onDrop: (d) => drops.push(d.events),
    });
    for (const b of fleet(10)) await producer.put('MetricSample', b);
    // Act
    const flushed = producer.flush();
    // Assess
    await expect(flushed).rejects.toThrow(EventsDroppedError);
    await expect(producer.flush()).resolves.toBeUndefined(); // reported once
    expect(drops.reduce((a, b) => a + b, 0)).toBe(10);
    expect(producer.stats()).toMatchObject({ eventsDropped: 10, eventsAccepted: 0, retries: 2 });
  });

  it('names the limit when one event cannot fit a Kinesis record, and queues nothing', async () => {
    // Prepare
    const stream = await local.newStream(1);
    const producer = await Producer.create({ kinesis: local.kinesis, streamName: stream, registry });
    const huge = metricBody({ tags: { blob: 'x'.repeat(1_100_000) } });
    // Act
    const put = producer.put('MetricSample', huge);
    // Assess
    await expect(put).rejects.toThrow(OversizedEventError);
    await expect(producer.put('MetricSample', huge)).rejects.toThrow(/above the 1048576-byte Kinesis record limit/);
    expect(producer.stats().eventsPut).toBe(0);
    await producer.close();
  });

  it('applies back-pressure: the buffer never grows past its bound', async () => {
    // Prepare: a slow stream (every call waits) and a 64 KiB buffer
    const stream = await local.newStream(2);
    const slow = {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- forwards any command unchanged
      send: async (c: any) => {
        await new Promise((r) => setTimeout(r, 5));
        return local.kinesis.send(c);
      },
    };
    const bound = 64 * 1024;
    const producer = await Producer.create({ kinesis: slow, streamName: stream, registry, maxBufferedBytes: bound });
    let peak = 0;
    // Act
    for (const b of fleet(5_000)) {
      await producer.put('MetricSample', b);
      peak = Math.max(peak, producer.stats().bufferedBytes);
    }
    await producer.close();
    // Assess
    expect(peak).toBeLessThanOrEqual(bound);
    expect((await readAll(local.kinesis, stream, registry)).length).toBe(5_000);
  });

  it('keeps every event and each host in order across a shard split mid-stream', async () => {
    // Prepare
    const stream = await local.newStream(1);
    const producer = await Producer.create({ kinesis: local.kinesis, streamName: stream, registry, lingerMs: 5 });
    const bodies = fleet(4_000);
    // Act
    for (const b of bodies.slice(0, 2_000)) await producer.put('MetricSample', b);
    await producer.flush();
    await local.kinesis.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitActive(local.kinesis, stream);
    // the first flush after the split lands as one aggregate, whose ShardId tells the producer to reload its map
    for (const b of bodies.slice(2_000, 3_000)) await producer.put('MetricSample', b);
    await producer.flush();
    for (const b of bodies.slice(3_000)) await producer.put('MetricSample', b);
    await producer.close();
    const events = await readAll(local.kinesis, stream, registry);
    // Assess: within each shard the producer's seqs increase (what the consumer's per-shard
    // producer fence relies on), and every child starts above where its parent ended
    expect(events.length).toBe(4_000);
    expect(new Set(events.map((e) => e.event.event_id)).size).toBe(4_000);
    const byShard = new Map<string, typeof events>();
    for (const e of events) byShard.set(e.shardId, [...(byShard.get(e.shardId) ?? []), e]);
    for (const list of byShard.values()) {
      const seqs = list.map((e) => e.event.producer_seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const parentMax = Math.max(...(byShard.get('shardId-000000000000') ?? []).map((e) => e.event.producer_seq));
    for (const [id, list] of byShard)
      if (id !== 'shardId-000000000000') expect(list[0]?.event.producer_seq).toBeGreaterThan(parentMax);
    expect(new Set(events.map((e) => e.shardId)).size).toBe(3);
    const map = await ShardMap.load(local.kinesis, stream);
    for (const e of events.filter((x) => x.event.producer_seq > 3_000)) {
      expect(e.shardId).toBe(map.lookup(e.event.host).shard.shardId);
    }
  });
});
