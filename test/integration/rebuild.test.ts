import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { DuckDBInstance } from '@duckdb/node-api';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { waitActive } from '#local/streams.js';
import { kinesisParentsOf } from '#core/projections/lineage.js';
import { describe, expect, it } from 'vitest';
import { lakeColumns } from '#core/lake/columns.js';
import { rowsToParquet } from '#core/lake/parquet.js';
import { lakeRow } from '#core/lake/rows.js';
import { ArchiveReader } from '#core/ops/archive.js';
import { RebuildError } from '#core/ops/errors.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { MemoryDestination } from '#test/helpers/memory-destination.js';
import { rebuild, type RebuildProgress } from '#core/ops/rebuild.js';
import { Producer } from '#core/produce/producer.js';
import { windowingConfig } from '#core/windows/config.js';
import { metricBody, metricSample } from '#test/helpers/events.js';
import { faultyDynamo, hotPathFunction, seeded, sideOutputCounts } from '#test/helpers/hot-path-harness.js';
import { scanAll, useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';
import { useLocalLake } from '#test/helpers/local-lake.js';

const registry = SchemaRegistry.load();
const kinesis = useLocalKinesis();
const dynamo = useLocalDynamo();
const lake = useLocalLake();
const config = windowingConfig();

/** What every rebuild of a test takes: the local servers, the stream, the live table, a fresh table. */
async function target(streamName: string, liveTable: string) {
  return {
    kinesis: kinesis.kinesis,
    streamName,
    ddb: dynamo.ddb,
    liveTable,
    freshTable: await dynamo.newTable(),
    registry,
    config,
  };
}

describe('rebuild from the stream', () => {
  it('re-derives exactly the live windows (built under crashes and redelivery), finds a corrupted one and repairs it in place', async () => {
    // Prepare: a stream, and a live table built through faults
    const stream = await kinesis.newStream(2);
    const live = await dynamo.newTable();
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
    const first = await rebuild({ ...(await target(stream, live)), ...range });
    const victim = (await scanAll(dynamo.ddb, live)).find((i) => i.kind?.S === 'host' && i.size?.N === '60000');
    await dynamo.ddb.send(new PutItemCommand({ TableName: live, Item: { ...victim, n: { N: '999' } } }));
    const repaired = await rebuild({ ...(await target(stream, live)), ...range, inPlace: true });
    const after = await rebuild({ ...(await target(stream, live)), ...range });

    // Assess
    expect(first).toMatchObject({ events: 400, differing: [], copied: 0 });
    expect(first.windows).toBeGreaterThan(20);
    expect(repaired.differing).toEqual([{ pk: victim?.pk?.S, sk: victim?.sk?.S }]);
    expect(repaired.copied).toBe(first.windows);
    expect(after.differing).toEqual([]);
  }, 300_000);

  it('judges per-host log counts only under the setting that writes them', async () => {
    // Prepare: logs windowed live with per-host counts on
    const stream = await kinesis.newStream(1);
    const live = await dynamo.newTable();
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 600_000;
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry, lingerMs: 5 });
    for (let i = 0; i < 40; i++) {
      await producer.put('LogEvent', {
        occurred_at: new Date(base + i * 1_000),
        host: `server-00${(i % 2) + 1}`,
        service: 'api',
        level: i % 3 === 0 ? 'ERROR' : 'INFO',
        message: 'm',
        region: 'r',
        environment: 'e',
        attributes: {},
      });
    }
    await producer.close();
    const byHost = { ...config, logCountsByHost: true };
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: hotPathFunction({ ddb: dynamo.ddb, tableName: live, registry, config: byHost }).fn,
      onFailure: new MemoryDestination(),
    }).drain();
    const range = { from: base - 3_600_000, to: base + 3_600_000 };

    // Act
    const off = await rebuild({ ...(await target(stream, live)), ...range });
    const on = await rebuild({ ...(await target(stream, live)), config: byHost, ...range });

    // Assess: 2 hosts' minute items hold the per-host counts live (the hour is derived); neither rebuild differs
    const hostItems = (await scanAll(dynamo.ddb, live)).filter((i) => i.kind?.S === 'host');
    expect(hostItems).toHaveLength(2);
    expect(off).toMatchObject({ events: 40, differing: [] });
    expect(on).toMatchObject({ events: 40, differing: [] });
    expect(on.windows - off.windows).toBe(2);
  }, 300_000);
});

describe('rebuild from the archive and the stream', () => {
  it('takes what arrived before a time from the archive and the rest from the stream, with the watermarks carried across', async () => {
    // Prepare: part 1 on the stream and in the archive; part 2 (with late events) on the stream only,
    // as when Firehose still buffers the newest minutes
    const stream = await kinesis.newStream(2);
    const live = await dynamo.newTable();
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 1_200_000;
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry, lingerMs: 5 });
    const host = (i: number) => `server-00${(i % 4) + 1}`;
    for (let i = 0; i < 200; i++) {
      await producer.put(
        'MetricSample',
        metricBody({ host: host(i), value: i, occurred_at: new Date(base + i * 3_000) }),
      );
    }
    await producer.flush();
    const { dir } = await lake.archive(kinesis.kinesis, stream, registry);
    await new Promise((r) => setTimeout(r, 20));
    const streamFrom = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 200; i++) {
      // every tenth event is an hour older than the watermark part 1 left: late
      const at = i % 10 === 0 ? base - 3_600_000 : base + 600_000 + i * 3_000;
      await producer.put('MetricSample', metricBody({ host: host(i), value: i, occurred_at: new Date(at) }));
    }
    await producer.close();
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: hotPathFunction({ ddb: dynamo.ddb, tableName: live, registry, config }).fn,
      onFailure: new MemoryDestination(),
      batchSize: 50,
    }).drain();
    const range = { from: base - 7_200_000, to: base + 7_200_000 };

    // Act
    const archive = await ArchiveReader.open(registry, dir);
    const archiveOnly = await rebuild({ ...(await target(stream, live)), ...range, archive });
    const progress: RebuildProgress[] = [];
    const both = await rebuild({
      ...(await target(stream, live)),
      ...range,
      archive,
      streamFrom,
      onProgress: (p) => progress.push({ ...p }),
    });
    archive.close();

    // Assess: the archive alone misses part 2; with the stream's tail the windows are exact
    expect(archiveOnly.events).toBe(200);
    expect(archiveOnly.differing.length).toBeGreaterThan(0);
    expect(both).toMatchObject({ events: 380, differing: [] });
    expect(progress.at(-1)).toEqual({
      records: both.records,
      shardsDone: 2,
      shards: 2,
      archiveRecords: archiveOnly.records,
    });
    expect(both.records).toBeGreaterThan(archiveOnly.records);
  }, 300_000);

  it('carries a watermark through a shard that held only poison records (lineage kept after a reshard)', async () => {
    // Prepare: parent P gets events; its child C1 only poison; C1's child G1 events late for P's watermark
    const stream = await kinesis.newStream(1);
    const live = await dynamo.newTable();
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 1_200_000;
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry, lingerMs: 5 });
    for (let i = 0; i < 100; i++) {
      await producer.put('MetricSample', metricBody({ value: i, occurred_at: new Date(base + i * 3_000) }));
    }
    await producer.close();
    const split = async (shard: string, at: bigint) => {
      await kinesis.kinesis.send(
        new SplitShardCommand({ StreamName: stream, ShardToSplit: shard, NewStartingHashKey: at.toString() }),
      );
      await waitActive(kinesis.kinesis, stream);
    };
    const toFirstChild = (data: Buffer[]) =>
      kinesis.kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: data.map((Data) => ({ PartitionKey: 'x', ExplicitHashKey: '1', Data })),
        }),
      );
    await split('shardId-000000000000', 2n ** 127n);
    await toFirstChild([Buffer.from('not an event'), Buffer.from('nor this')]);
    await split('shardId-000000000001', 2n ** 126n);
    const encoder = new SingleObjectEncoder();
    await toFirstChild(
      Array.from({ length: 10 }, (_, i) =>
        encoder.encode(registry.latest('MetricSample'), {
          ...metricSample(i + 1, { producer_id: 'late', occurred_at: new Date(base - 3_600_000) }),
        }),
      ),
    );
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: hotPathFunction({
        ddb: dynamo.ddb,
        tableName: live,
        registry,
        config,
        parentsOf: kinesisParentsOf(kinesis.kinesis, stream),
      }).fn,
      onFailure: new MemoryDestination(),
    }).drain();
    const { dir } = await lake.archive(kinesis.kinesis, stream, registry);

    // Act
    const archive = await ArchiveReader.open(registry, dir);
    const result = await rebuild({
      ...(await target(stream, live)),
      from: base - 7_200_000,
      to: base + 7_200_000,
      archive,
    });
    archive.close();

    // Assess: the 10 late events are late in the rebuild too
    expect(result).toMatchObject({ events: 100, differing: [] });
    expect((await sideOutputCounts(dynamo.ddb, live)).late.get(60_000)).toBe(10);
  }, 300_000);

  it('refuses what it cannot do exactly, saying why', async () => {
    // Prepare: an archive row without a stream position (as a delivery not reading the stream writes)
    const dir = mkdtempSync(join(tmpdir(), 'pulse-unplaced-'));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const row = lakeRow(metricSample(1), Date.now());
    const file = join(dir, 'metric_samples', 'year=2026', 'month=11', 'day=22', 'hour=12', 'a.parquet');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, await rowsToParquet(duck, lakeColumns(registry, 'MetricSample'), [row]));
    duck.closeSync();

    // Act
    const unplaced = await ArchiveReader.open(registry, dir).catch((e: unknown) => e);
    const streamWithoutArchive = await rebuild({
      kinesis: kinesis.kinesis,
      streamName: 'any',
      ddb: dynamo.ddb,
      liveTable: 'any',
      freshTable: 'any',
      registry,
      config,
      from: 0,
      to: 1,
      streamFrom: Date.now(),
    }).catch((e: unknown) => e);

    // Assess
    expect(unplaced).toBeInstanceOf(RebuildError);
    expect((unplaced as Error).message).toBe(
      '1 archived events have no stream position (shard_id, sequence_number): they were not delivered from the stream, or were written before the lake kept positions (Pulse of 2026-11-23), so their order is unknown; rebuild from the stream (--source stream) while it retains them',
    );
    expect(streamWithoutArchive).toBeInstanceOf(RebuildError);
    expect((streamWithoutArchive as Error).message).toBe(
      'reading the stream from a time needs the archive for what arrived before it (the watermarks and producer marks depend on every earlier record)',
    );
  });
});
