import { describe, expect, it } from 'vitest';
import { QUARANTINE_PARTITIONS, SideOutputStore } from '#core/projections/side-outputs.js';
import type { SideOutputEvent } from '#core/windows/fold.js';
import { scanAll, useLocalDynamo } from '#test/helpers/local-dynamo.js';

const dynamo = useLocalDynamo();

function poison(i: number, data: Buffer): SideOutputEvent {
  return {
    sequenceNumber: String(49_000_000_000_000 + i).padStart(56, '0'),
    subSequenceNumber: i % 3,
    partitionKey: `host-${i}`,
    data,
    reason: 'not a single-object Avro record',
    code: 'bad-magic',
  };
}

describe('quarantine at flood scale', () => {
  it('spreads a shard over its partitions, expires like the windows, and reads back whole, in order', async () => {
    // Prepare: 200 poison records, one of them 800 KB (three parts)
    const table = await dynamo.newTable();
    const store = new SideOutputStore(dynamo.ddb, table, 30);
    const records = Array.from({ length: 200 }, (_, i) =>
      poison(i, i === 17 ? Buffer.alloc(800_000, 7) : Buffer.from(`garbage-${i}`)),
    );
    const before = Math.floor(Date.now() / 1000);

    // Act
    const failures = await store.write('shardId-000000000003', records, []);
    const back = await store.quarantined('shardId-000000000003');

    // Assess: every partition used, each item with a TTL 30 days out
    const items = (await scanAll(dynamo.ddb, table)).filter((a) => a.pk?.S?.startsWith('QUARANTINE#'));
    const partitions = new Set(items.map((a) => a.pk?.S));
    expect(failures).toEqual([]);
    expect(items.length).toBe(202);
    expect([...partitions].sort()).toEqual(
      Array.from({ length: QUARANTINE_PARTITIONS }, (_, p) => `QUARANTINE#shardId-000000000003#${p}`),
    );
    for (const a of items) {
      expect(Number(a.ttl?.N) - before).toBeGreaterThanOrEqual(30 * 86_400);
      expect(Number(a.ttl?.N) - before).toBeLessThanOrEqual(30 * 86_400 + 120);
    }
    // Assess: read back as written, by position, bytes whole
    expect(back.map((q) => [q.sequenceNumber, q.subSequenceNumber, q.bytes.toString('base64')])).toEqual(
      records.map((r) => [r.sequenceNumber, r.subSequenceNumber, r.data.toString('base64')]),
    );
  });
});
