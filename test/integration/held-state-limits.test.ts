/**
 * The held window state at its limits, through the real handler, the local event
 * source mapping with a tumbling window, kinesalite and DynamoDB Local: a flood of new
 * host names on one shard makes the state outgrow Lambda's 1 MB many times over, so
 * the handler flushes early, and every window still equals the oracle.
 */
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { MemoryDestination } from '#test/helpers/memory-destination.js';
import { type KinesisFunction } from '#core/lambda/events.js';
import { Producer } from '#core/produce/producer.js';
import { windowingConfig } from '#core/windows/config.js';
import { metricBody } from '#test/helpers/events.js';
import { hotPathFunction, storedWindows } from '#test/helpers/hot-path-harness.js';
import { useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';
import { oracle, streamContent } from '#test/helpers/window-oracle.js';

const registry = SchemaRegistry.load();
const kinesis = useLocalKinesis();
const dynamo = useLocalDynamo();
const config = windowingConfig();
const HOSTS = 50_000;

describe('held window state at its limits', () => {
  it('50,000 new hosts on one shard: the state never passes 1 MB, it flushes early, and every window equals the oracle', async () => {
    // Prepare: three metrics from each of 50,000 hosts, all on one shard, within seconds (over 10,000 new hosts a second)
    const stream = await kinesis.newStream(1);
    const table = await dynamo.newTable();
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry, lingerMs: 20 });
    for (let h = 0; h < HOSTS; h++) {
      const host = `host-${String(h).padStart(5, '0')}`;
      for (const metric of ['cpu_utilization', 'memory_usage', 'disk_usage']) {
        const at = new Date(minute + (h % 60_000));
        await producer.put('MetricSample', metricBody({ host, metric, occurred_at: at, value: h / 100 }));
      }
    }
    await producer.close();
    const expected = oracle(await streamContent(kinesis.kinesis, stream), config);
    const { fn } = hotPathFunction({ ddb: dynamo.ddb, tableName: table, registry, config });
    const stateSizes: number[] = [];
    const measured: KinesisFunction = async (event) => {
      const out = await fn(event);
      if (out && 'state' in out) stateSizes.push(Buffer.byteLength(JSON.stringify(out.state)));
      return out;
    };
    // Act: one 15-minute tumbling window, so only the state's size can make it flush before the end
    const stats = await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: measured,
      onFailure: new MemoryDestination(),
      batchSize: 100,
      tumblingWindowSeconds: 900,
    }).drain();
    // Assess
    const actual = await storedWindows(dynamo.ddb, table, config.windowSizesMs);
    expect(new Map([...actual].sort())).toEqual(new Map([...expected.windows].sort()));
    expect(expected.uniqueEvents).toBe(3 * HOSTS);
    expect(Math.max(...stateSizes)).toBeLessThanOrEqual(1_048_576);
    // flushed before the window's end (the state shrank: what it held was written), and Lambda never had to end the window
    expect(stateSizes.slice(0, -1).filter((n, i) => i > 0 && n < (stateSizes[i - 1] as number)).length).toBeGreaterThan(
      0,
    );
    expect(stats.windowsTerminatedEarly).toBe(0);
    expect(stats.discardedRecords).toBe(0);
  }, 900_000);
});
