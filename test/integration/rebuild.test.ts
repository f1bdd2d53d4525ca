import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '../../core/contract/registry.js';
import { KinesisEventSourceMapping, MemoryDestination } from '../../core/local/event-source-mapping.js';
import { rebuild } from '../../core/ops/rebuild.js';
import { Producer } from '../../core/produce/producer.js';
import { windowingConfig } from '../../core/windows/config.js';
import { metricBody } from '../helpers/events.js';
import { faultyDynamo, hotPathFunction, seeded } from '../helpers/hot-path-harness.js';
import { scanAll, useLocalDynamo } from '../helpers/local-dynamo.js';
import { useLocalKinesis } from '../helpers/local-kinesis.js';

const registry = SchemaRegistry.load();
const kinesis = useLocalKinesis();
const dynamo = useLocalDynamo();
const config = windowingConfig();

describe('rebuild from the stream', () => {
  it('re-derives exactly the live windows (built under crashes and redelivery), finds a corrupted one and repairs it in place', async () => {
    // Prepare: a stream, and a live table built through faults
    const stream = await kinesis.newStream(2);
    const live = await dynamo.newTable();
    const fresh = await dynamo.newTable();
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 1_200_000;
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry, lingerMs: 5 });
    for (let i = 0; i < 400; i++) {
      await producer.put(
        'MetricSample',
        metricBody({ host: `server-00${(i % 4) + 1}`, value: i, occurred_at: new Date(base + i * 2_000) }),
      );
    }
    await producer.close();
    const ddb = faultyDynamo(dynamo.ddb, seeded(3), { throttle: 0.05, crashBefore: 0.03, crashAfter: 0.05 });
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: hotPathFunction({ ddb, tableName: live, registry, config }).fn,
      onFailure: new MemoryDestination(),
      batchSize: 9,
      retryAttempts: -1,
      bisectBatchOnError: true,
    }).drain();
    const range = { from: base - 3_600_000, to: base + 3_600_000 };

    // Act: a clean rebuild; then one live window corrupted and a rebuild in place
    const first = await rebuild({
      kinesis: kinesis.kinesis,
      streamName: stream,
      ddb: dynamo.ddb,
      liveTable: live,
      freshTable: fresh,
      registry,
      config,
      ...range,
    });
    const victim = (await scanAll(dynamo.ddb, live)).find((i) => i.kind?.S === 'metric' && i.size?.N === '60000');
    await dynamo.ddb.send(new PutItemCommand({ TableName: live, Item: { ...victim, n: { N: '999' } } }));
    const fresh2 = await dynamo.newTable();
    const repaired = await rebuild({
      kinesis: kinesis.kinesis,
      streamName: stream,
      ddb: dynamo.ddb,
      liveTable: live,
      freshTable: fresh2,
      registry,
      config,
      ...range,
      inPlace: true,
    });
    const fresh3 = await dynamo.newTable();
    const after = await rebuild({
      kinesis: kinesis.kinesis,
      streamName: stream,
      ddb: dynamo.ddb,
      liveTable: live,
      freshTable: fresh3,
      registry,
      config,
      ...range,
    });

    // Assess
    expect(first).toMatchObject({ events: 400, differing: [], copied: 0 });
    expect(first.windows).toBeGreaterThan(20);
    expect(repaired.differing).toEqual([{ pk: victim?.pk?.S, sk: victim?.sk?.S }]);
    expect(repaired.copied).toBe(first.windows);
    expect(after.differing).toEqual([]);
  }, 300_000);
});
