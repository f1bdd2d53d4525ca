import { PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventBody } from '#core/contract/events.js';
import { aggregate } from '#core/contract/kpl.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { MemoryDestination } from '#test/helpers/memory-destination.js';
import { readShard, waitActive } from '#local/streams.js';
import { Producer } from '#core/produce/producer.js';
import { kinesisParentsOf } from '#core/projections/lineage.js';
import { SideOutputStore } from '#core/projections/side-outputs.js';
import { itemSizeBytes } from '#core/cost/item-size.js';
import { WindowProjection } from '#core/projections/window-projection.js';
import { WindowReader } from '#core/projections/window-reader.js';
import { windowingConfig } from '#core/windows/config.js';
import { benchSequenceNumber, lambdaRecord } from '#bench/lib/lambda-records.js';
import { createKinesisBatchHandler } from '#handlers/lib/kinesis-batch.js';
import { metricBody, metricSample } from '#test/helpers/events.js';
import { hotPathFunction, storedWindows } from '#test/helpers/hot-path-harness.js';
import { captureLogs, fakeContext } from '#test/helpers/logs.js';
import { useLocalDynamo, scanAll } from '#test/helpers/local-dynamo.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';
import { oracle, streamContent } from '#test/helpers/window-oracle.js';

const registry = SchemaRegistry.load();
const kinesis = useLocalKinesis();
const dynamo = useLocalDynamo();
const config = windowingConfig({ outOfOrdernessMs: 10_000, allowedLatenessMs: 60_000 });
const encoder = new SingleObjectEncoder();

async function drain(stream: string, table: string, batchSize = 50) {
  const { fn, projection } = hotPathFunction({ ddb: dynamo.ddb, tableName: table, registry, config });
  const mapping = new KinesisEventSourceMapping({
    kinesis: kinesis.kinesis,
    streamName: stream,
    fn,
    onFailure: new MemoryDestination(),
    batchSize,
  });
  await mapping.drain();
  return projection;
}

/** Powertools Metrics writing EMF to a captured stdout (it is switched off elsewhere in tests). */
function captureEmf(): { lines: string[]; metrics: Metrics } {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const metrics = new Metrics({ namespace: 'Pulse', serviceName: 'hot-path' });
  process.env.POWERTOOLS_METRICS_DISABLED = previous;
  return { lines, metrics };
}

describe('hot path: quarantine', () => {
  it('quarantines undecodable, unknown, invalid and future-dated events with bytes, shard, position and reason; redelivery adds nothing', async () => {
    // Prepare
    const stream = await kinesis.newStream(1);
    const table = await dynamo.newTable();
    const now = Date.now();
    const v1 = registry.version('MetricSample', 1);
    const unknown = encoder.encode(v1, metricSample(1, { occurred_at: new Date(now) }));
    unknown.writeBigUInt64LE(0xfeedn, 2);
    const invalid = encoder.encode(v1, metricSample(2, { metric: 'CPU %', occurred_at: new Date(now) }));
    const future = encoder.encode(v1, metricSample(3, { occurred_at: new Date(now + 3_600_000) }));
    const good = encoder.encode(v1, metricSample(4, { occurred_at: new Date(now) }));
    const garbage = Buffer.from('{"json": "is not the wire format"}');
    await kinesis.kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [
          { PartitionKey: 'server-001', Data: garbage },
          {
            PartitionKey: 'server-001',
            Data: aggregate([unknown, invalid, future, good].map((data) => ({ partitionKey: 'server-001', data }))),
          },
        ],
      }),
    );
    // Act
    const projection = await drain(stream, table);
    projection.reset();
    await drain(stream, table); // a full redelivery, from a cold process: the assertions below hold after both
    // Assess
    const [first, second] = (await readShard(kinesis.kinesis, stream, 'shardId-000000000000')).map(
      (r) => r.SequenceNumber,
    );
    const quarantined = await new SideOutputStore(dynamo.ddb, table, 30).quarantined('shardId-000000000000');
    expect(
      quarantined.map((q) => ({
        seq: q.sequenceNumber,
        sub: q.subSequenceNumber,
        code: q.code,
        bytes: q.bytes.toString('hex'),
      })),
    ).toEqual([
      { seq: first, sub: 0, code: 'bad-magic', bytes: garbage.toString('hex') },
      { seq: second, sub: 0, code: 'unknown-fingerprint', bytes: unknown.toString('hex') },
      { seq: second, sub: 1, code: 'invalid-event', bytes: invalid.toString('hex') },
      { seq: second, sub: 2, code: 'future-dated', bytes: future.toString('hex') },
    ]);
    expect(quarantined.map((q) => q.reason)).toEqual([
      expect.stringContaining('expected marker C3 01, found 7b22'),
      expect.stringContaining('unknown schema fingerprint 0x000000000000feed: add the writer schema to schemas/'),
      'MetricSample is invalid: metric must be snake_case (a-z, 0-9, _), 1-64 characters',
      expect.stringMatching(/^occurred_at is 3\d{6} ms after the record arrived, beyond the 300000 ms skew bound/),
    ]);
    const windows = await storedWindows(dynamo.ddb, table, config.windowSizesMs);
    expect([...windows.values()].map((w) => w.count)).toEqual([1, 1]); // the good event, in its minute and its hour
  });
});

describe('hot path: read API and item size', () => {
  it('returns series, every host of a metric and log counts with percentiles and finality; items stay under 1 KB', async () => {
    // Prepare: 3 hosts, one cpu sample per second for 3 minutes, plus logs; event time ends well before now
    const stream = await kinesis.newStream(2);
    const table = await dynamo.newTable();
    const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000; // the previous hour
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry });
    const values = new Map<string, number[]>();
    for (let s = 0; s < 180; s++) {
      for (const host of ['server-001', 'server-002', 'server-003']) {
        const value = ((s * 7 + host.length * 13) % 9000) / 100 + 5;
        await producer.put('MetricSample', metricBody({ host, value, occurred_at: new Date(base + s * 1_000) }));
        const key = `${host}@${Math.floor(s / 60)}`;
        values.set(key, [...(values.get(key) ?? []), value]);
      }
      await producer.put('LogEvent', {
        occurred_at: new Date(base + s * 1_000),
        host: 'server-001',
        service: 'api',
        level: s % 3 === 0 ? 'ERROR' : 'INFO',
        message: 'x',
        region: 'us-east-1',
        environment: 'test',
        attributes: {},
      } satisfies EventBody<'LogEvent'>);
    }
    await producer.close();
    await drain(stream, table, 100);
    const reader = new WindowReader(dynamo.ddb, table, config);
    // Act
    const series = await reader.series({
      metric: 'cpu_utilization',
      host: 'server-002',
      sizeMs: 60_000,
      from: base,
      to: base + 180_000,
    });
    const fleet = await reader.metricAcrossHosts({
      metric: 'cpu_utilization',
      sizeMs: 60_000,
      from: base + 60_000,
      to: base + 120_000,
    });
    const errors = await reader.logCounts({
      by: 'service',
      name: 'api',
      level: 'ERROR',
      sizeMs: 60_000,
      from: base,
      to: base + 180_000,
    });
    const hour = await reader.series({
      metric: 'cpu_utilization',
      host: 'server-002',
      sizeMs: 3_600_000,
      from: base,
      to: base + 3_600_000,
    });
    // a range that ends inside the hour still gets the whole hour (all its minutes)
    const hourFromPart = await reader.series({
      metric: 'cpu_utilization',
      host: 'server-002',
      sizeMs: 3_600_000,
      from: base,
      to: base + 60_000,
    });
    // Assess
    expect(series.map((w) => [w.start - base, w.count])).toEqual([
      [0, 60],
      [60_000, 60],
      [120_000, 60],
    ]);
    const minute0 = values.get('server-002@0') as number[];
    const sorted = [...minute0].sort((a, b) => a - b);
    expect(series[0]).toMatchObject({ min: sorted[0], max: sorted[59], last: minute0[59], lastAt: base + 59_000 });
    expect(series[0]?.sum).toBeCloseTo(
      minute0.reduce((a, b) => a + b, 0),
      6,
    );
    expect(Math.abs((series[0]?.p95 as number) - (sorted[Math.floor(0.95 * 59)] as number))).toBeLessThanOrEqual(
      (sorted[Math.floor(0.95 * 59)] as number) * 0.01,
    );
    expect(fleet.map((w) => w.host)).toEqual(['server-001', 'server-002', 'server-003']);
    expect(errors.map((w) => w.count)).toEqual([20, 20, 20]);
    // watermark = last event (base + 179 s) - 10 s: the first minute is final (59.999 + 60 ≤ 169), the last is not
    expect(series.map((w) => w.final)).toEqual([true, false, false]);
    expect(hour.map((w) => [w.count, w.final])).toEqual([[180, false]]);
    expect(hourFromPart.map((w) => [w.start - base, w.count])).toEqual([[0, 180]]);
    const hostItems = (await scanAll(dynamo.ddb, table)).filter((i) => i.kind?.S === 'host');
    // one item per (host, minute): 3 hosts × 3 minutes, none for the hour (derived from the minutes)
    expect(hostItems).toHaveLength(9);
    expect(Math.max(...hostItems.map(itemSizeBytes))).toBeLessThan(1_024);
    // TTL: 30 days after the window ends, in epoch seconds
    for (const i of hostItems) expect(Number(i.ttl?.N)).toBe((Number(i.ws?.N) + 60_000) / 1000 + 30 * 86_400);
  });
});

describe('hot path: metrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes EMF metrics for events in, windows written, write units, late, quarantined, duplicates, retries and event-time lag', async () => {
    // Prepare
    const stream = await kinesis.newStream(1);
    const table = await dynamo.newTable();
    const now = Date.now();
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry });
    await producer.put('MetricSample', metricBody({ occurred_at: new Date(now - 1_000) }));
    await producer.put('MetricSample', metricBody({ occurred_at: new Date(now - 7_200_000) })); // late for both sizes
    await producer.close();
    const { lines, metrics } = captureEmf();
    const handler = createKinesisBatchHandler({
      projection: new WindowProjection({ ddb: dynamo.ddb, tableName: table, registry, config, now: () => now }),
      logger: new Logger({ serviceName: 'hot-path', logLevel: 'SILENT' }),
      metrics,
    });
    // Act
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: handler,
      onFailure: new MemoryDestination(),
    }).drain();
    vi.restoreAllMocks();
    // Assess
    const emf = lines.map((l) => JSON.parse(l)).find((o) => o._aws);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('Pulse');
    expect(emf).toMatchObject({
      EventsIn: 2,
      WindowsWritten: 1, // the host's minute; its hour is derived from the minutes
      WriteUnits: 2, // that item and the checkpoint, each under 1 KB
      LateEvents: 2,
      QuarantinedEvents: 0,
      DuplicatesSkipped: 0,
      WriteRetries: 0,
      EventTimeLag: 1_000,
    });
  });
  it('with fleet metrics on, publishes distributions across hosts, a line per host, and per-host series for the listed hosts only', async () => {
    // Prepare: 6 hosts, 2 of them listed; one of them also reports network_in, and one a metric that is not standard
    const stream = await kinesis.newStream(1);
    const table = await dynamo.newTable();
    const now = Date.now();
    const minute = Math.floor((now - 120_000) / 60_000) * 60_000;
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry });
    const at = (ms: number) => new Date(minute + ms);
    const hosts = ['server-001', 'server-002', 'server-003', 'server-004', 'server-005', 'server-006'];
    for (const [i, host] of hosts.entries()) {
      await producer.put('MetricSample', metricBody({ host, value: 10 * (i + 1), occurred_at: at(1_000) }));
      await producer.put('MetricSample', metricBody({ host, value: 10 * (i + 1) + 2, occurred_at: at(2_000) }));
    }
    await producer.put(
      'MetricSample',
      metricBody({ host: 'server-002', metric: 'network_in', unit: 'mbps', value: 12.5, occurred_at: at(4_000) }),
    );
    await producer.put(
      'MetricSample',
      metricBody({ host: 'server-002', metric: 'queue_depth', occurred_at: at(5_000) }),
    );
    await producer.close();
    const { lines, metrics } = captureEmf();
    const logged: Record<string, unknown>[] = [];
    const handler = createKinesisBatchHandler({
      projection: new WindowProjection({ ddb: dynamo.ddb, tableName: table, registry, config, now: () => now }),
      logger: { info: (message: string, fields: object) => logged.push({ message, ...fields }) } as unknown as Logger,
      metrics,
      fleetMetrics: true,
      fleetMetricHosts: ['server-002', 'server-005'],
      functionName: 'pulse-test-hot-path',
    });
    // Act: one batch (every batch writes: no tumbling window)
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: handler,
      onFailure: new MemoryDestination(),
      batchSize: 1_000,
    }).drain();
    vi.restoreAllMocks();
    // Assess
    const docs = lines.map((l) => JSON.parse(l)).filter((o) => o._aws);
    const dimensionsOf = (doc: { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } }) =>
      doc._aws.CloudWatchMetrics[0]?.Dimensions.map((d) => [...d].sort());
    const counters = docs.find((d) => 'EventsIn' in d);
    expect(counters).toMatchObject({ EventsIn: 14, service: 'hot-path', function_name: 'pulse-test-hot-path' });
    expect(dimensionsOf(counters)).toEqual([['function_name', 'service']]);
    // Per host: exactly the listed hosts, one document each for the minute.
    const perHost = docs.filter((d) => 'host' in d);
    expect(perHost.map((d) => d.host).sort()).toEqual(['server-002', 'server-005']);
    for (const d of perHost) {
      expect(d._aws.Timestamp).toBe(minute);
      expect(dimensionsOf(d)).toEqual([['function_name', 'host', 'service']]);
      expect(d).not.toHaveProperty('queue_depth');
    }
    expect(perHost.find((d) => d.host === 'server-002')).toMatchObject({ cpu_utilization: 21, network_in: 12.5 });
    // Across hosts: one value per host, no host dimension.
    const distribution = docs.filter((d) => 'cpu_utilization' in d && !('host' in d));
    expect(distribution).toHaveLength(1);
    expect(distribution[0]).toMatchObject({ function_name: 'pulse-test-hot-path', network_in: 12.5 });
    expect([...distribution[0].cpu_utilization].sort((a: number, b: number) => a - b)).toEqual([
      11, 21, 31, 41, 51, 61,
    ]);
    expect(dimensionsOf(distribution[0])).toEqual([['function_name', 'service']]);
    expect(distribution[0]._aws.CloudWatchMetrics[0].Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'cpu_utilization', Unit: 'Percent' },
        { Name: 'network_in', Unit: 'Megabits/Second' },
      ]),
    );
    // Every host in the log lines the dashboard ranks and filters.
    const hostLines = logged.filter((l) => l.message === 'fleet host');
    expect(hostLines.map((l) => l.host).sort()).toEqual(hosts);
    expect(hostLines.find((l) => l.host === 'server-006')).toEqual({
      message: 'fleet host',
      host: 'server-006',
      minute: new Date(minute).toISOString(),
      cpu_utilization: 61,
    });
  });

  it("with a tumbling window, publishes TimeToVisible and the fleet once, at the flush, for every record it made visible; counts the sources' events by arrival minute", async () => {
    // Prepare: 12 records of a collector tick's producer, then one of a host agent, read 5 a batch
    const stream = await kinesis.newStream(1);
    const table = await dynamo.newTable();
    const now = Date.now();
    const minute = Math.floor((now - 120_000) / 60_000) * 60_000;
    const producer = await Producer.create({
      kinesis: kinesis.kinesis,
      streamName: stream,
      registry,
      producerId: 'collector:0123456789abcdef',
    });
    for (let i = 0; i < 12; i++) {
      await producer.put(
        'MetricSample',
        metricBody({ host: `server-00${i % 3}`, value: 50, occurred_at: new Date(minute + i * 1_000) }),
      );
      await producer.flush(); // one Kinesis record each
    }
    await producer.close();
    const agent = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry });
    await agent.put('MetricSample', metricBody({ host: 'server-000', value: 50, occurred_at: new Date(minute) }));
    await agent.close();
    const { lines, metrics } = captureEmf();
    const logged: Record<string, unknown>[] = [];
    const handler = createKinesisBatchHandler({
      projection: new WindowProjection({ ddb: dynamo.ddb, tableName: table, registry, config, now: () => now }),
      logger: { info: (message: string, fields: object) => logged.push({ message, ...fields }) } as unknown as Logger,
      metrics,
      fleetMetrics: true,
      fleetMetricHosts: [],
      functionName: 'pulse-test-hot-path',
    });
    let invocations = 0;
    // Act: batches of 5 fold into the held state; the window's final invoke flushes it
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: async (event) => {
        invocations++;
        return handler(event);
      },
      onFailure: new MemoryDestination(),
      batchSize: 5,
      tumblingWindowSeconds: 900,
    }).drain();
    const end = Date.now();
    vi.restoreAllMocks();
    // Assess
    const docs = lines.map((l) => JSON.parse(l)).filter((o) => o._aws);
    expect(invocations).toBeGreaterThanOrEqual(4); // 3 batches and the final invoke
    const visible = docs.filter((d) => 'TimeToVisible' in d);
    expect(visible).toHaveLength(1);
    const latencies = [visible[0].TimeToVisible].flat() as number[];
    expect(latencies).toHaveLength(13);
    for (const ms of latencies) expect(ms).toBeGreaterThanOrEqual(0);
    expect(Math.max(...latencies)).toBeLessThanOrEqual(end - now + 60_000);
    // One flush: one distribution and one line per host, not one per batch.
    expect(docs.filter((d) => 'cpu_utilization' in d)).toHaveLength(1);
    expect(logged.filter((l) => l.message === 'fleet host')).toHaveLength(3);
    expect(docs.some((d) => 'host' in d)).toBe(false);
    // The data-loss SLO count: the collector's 12 events, not the agent's, an hour after their arrival minute.
    const counted = docs.filter((d) => 'SloHotPath' in d);
    expect(counted.reduce((a, d) => a + d.SloHotPath, 0)).toBe(12);
    for (const d of counted) {
      expect(d._aws.Timestamp % 60_000).toBe(0);
      expect(d._aws.Timestamp - 3_600_000).toBeLessThanOrEqual(end);
      expect(d._aws.Timestamp - 3_600_000).toBeGreaterThanOrEqual(now - 120_000);
    }
  });

  it('publishes no TimeToVisible for a flush of a state another process held (its oldest records were not seen here)', async () => {
    // Prepare: processes A and B on one shard; A folds the first batch, B gets its state and flushes it
    const table = await dynamo.newTable();
    const now = Date.now();
    const shardId = 'shardId-000000000000';
    const record = (n: number) =>
      lambdaRecord({
        shardId,
        sequenceNumber: benchSequenceNumber(n),
        partitionKey: 'server-001',
        data: encoder.encode(registry.latest('MetricSample'), metricSample(n, { occurred_at: new Date(now - 60_000) })),
        arrivalMs: now - 30_000 + n,
      });
    const window = { start: new Date(now - 60_000).toISOString(), end: new Date(now).toISOString() };
    const event = (records: number[], state: Record<string, string>, final: boolean) => ({
      Records: records.map(record),
      state,
      shardId,
      window,
      isFinalInvokeForWindow: final,
      isWindowTerminatedEarly: false,
    });
    const { lines, metrics } = captureEmf();
    const newProcess = () =>
      createKinesisBatchHandler({
        projection: new WindowProjection({ ddb: dynamo.ddb, tableName: table, registry, config, now: () => now }),
        logger: new Logger({ serviceName: 'hot-path', logLevel: 'SILENT' }),
        metrics,
        functionName: 'f',
      });
    const [a, b] = [newProcess(), newProcess()];
    const published = () => lines.filter((l) => l.includes('"TimeToVisible"')).length;
    // Act
    const held = await a(event([1, 2], {}, false));
    const foreign = await b(event([3], held.state ?? {}, true));
    const afterForeign = published();
    const next = await b(event([4], {}, false));
    await b(event([], next.state ?? {}, true));
    vi.restoreAllMocks();
    // Assess: B's first flush made 1, 2 (A's) and 3 visible and says nothing; its own window is measured
    expect(Object.keys(held.state ?? {})).toHaveLength(1);
    expect(foreign.state).toEqual({});
    expect(afterForeign).toBe(0);
    expect(published()).toBe(1);
    const doc = JSON.parse(lines.find((l) => l.includes('"TimeToVisible"')) as string);
    expect(doc.TimeToVisible).toBeGreaterThanOrEqual(30_000 - 4);
  });

  it('publishes no fleet metrics with fleet metrics off', async () => {
    // Prepare
    const stream = await kinesis.newStream(1);
    const table = await dynamo.newTable();
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry });
    await producer.put('MetricSample', metricBody({ occurred_at: new Date(Date.now() - 1_000) }));
    await producer.close();
    const { lines, metrics } = captureEmf();
    const handler = createKinesisBatchHandler({
      projection: new WindowProjection({ ddb: dynamo.ddb, tableName: table, registry, config }),
      logger: new Logger({ serviceName: 'hot-path', logLevel: 'SILENT' }),
      metrics,
      fleetMetrics: false,
    });
    // Act
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: handler,
      onFailure: new MemoryDestination(),
    }).drain();
    vi.restoreAllMocks();
    // Assess
    const docs = lines.map((l) => JSON.parse(l)).filter((o) => o._aws);
    // The counters and TimeToVisible; nothing of the fleet.
    expect(docs.map((d) => ('EventsIn' in d ? 'counters' : Object.keys(d).find((k) => k === 'TimeToVisible')))).toEqual(
      ['counters', 'TimeToVisible'],
    );
    expect(docs[0]).toMatchObject({ EventsIn: 1 });
    for (const d of docs) {
      expect(d).not.toHaveProperty('host');
      expect(d).not.toHaveProperty('cpu_utilization');
    }
  });
});

describe('hot path: the invocation in its logs', () => {
  afterEach(() => vi.restoreAllMocks());

  it("the batch's line carries the Lambda request id and the shard", async () => {
    // Prepare
    const table = await dynamo.newTable();
    const now = Date.now();
    const shardId = 'shardId-000000000000';
    const logs = captureLogs('hot-path');
    const handler = createKinesisBatchHandler({
      projection: new WindowProjection({ ddb: dynamo.ddb, tableName: table, registry, config, now: () => now }),
      logger: logs.logger,
      metrics: new Metrics({ namespace: 'Pulse', serviceName: 'hot-path' }),
      functionName: 'pulse-test-hot-path',
    });
    const record = lambdaRecord({
      shardId,
      sequenceNumber: benchSequenceNumber(1),
      partitionKey: 'server-001',
      data: encoder.encode(registry.latest('MetricSample'), metricSample(1, { occurred_at: new Date(now - 60_000) })),
      arrivalMs: now - 30_000,
    });
    // Act
    await handler({ Records: [record] }, fakeContext('lambda-request-1', 'pulse-test-hot-path'));
    logs.restore();
    // Assess
    expect(logs.lines().filter((l) => l.message === 'batch processed')).toEqual([
      expect.objectContaining({
        function_request_id: 'lambda-request-1',
        function_name: 'pulse-test-hot-path',
        shardId,
        records: 1,
      }),
    ]);
  });
});

describe('hot path: reshard', () => {
  it('windows equal the oracle across a split: the children continue the parent watermark and producer marks', async () => {
    // Prepare
    const stream = await kinesis.newStream(1);
    const table = await dynamo.newTable();
    const base = Date.now() - 600_000;
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry, lingerMs: 5 });
    const hosts = ['server-001', 'server-002', 'server-003', 'server-004', 'server-005', 'server-006'];
    for (let i = 0; i < 300; i++)
      await producer.put(
        'MetricSample',
        metricBody({ host: hosts[i % 6], value: i, occurred_at: new Date(base + i * 1_000) }),
      );
    await producer.flush();
    await kinesis.kinesis.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitActive(kinesis.kinesis, stream);
    // after the split: in-order events and some an hour old (late against the parent's watermark)
    for (let i = 300; i < 500; i++) {
      const t = i % 10 === 0 ? base - 3_600_000 : base + i * 1_000;
      await producer.put('MetricSample', metricBody({ host: hosts[i % 6], value: i, occurred_at: new Date(t) }));
      if (i === 320) await producer.flush();
    }
    await producer.close();
    const logs = await streamContent(kinesis.kinesis, stream);
    const expected = oracle(logs, config);
    // Act
    const projection = new WindowProjection({
      ddb: dynamo.ddb,
      tableName: table,
      registry,
      config,
      parentsOf: kinesisParentsOf(kinesis.kinesis, stream),
    });
    const handler = createKinesisBatchHandler({
      projection,
      logger: new Logger({ serviceName: 'hot-path', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Pulse', serviceName: 'hot-path' }),
    });
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: handler,
      onFailure: new MemoryDestination(),
      batchSize: 40,
    }).drain();
    // Assess
    expect(logs.length).toBe(3);
    expect(expected.late.get(60_000)).toBeGreaterThan(0);
    const actual = await storedWindows(dynamo.ddb, table, config.windowSizesMs);
    expect(new Map([...actual].sort())).toEqual(new Map([...expected.windows].sort()));
  });
});

describe('hot path: consecutive batches in different processes', () => {
  it('two processes taking turns on one shard still equal the oracle (no stale warm checkpoint)', async () => {
    // Prepare: in-order events, producer duplicates (a record re-sent) and late events, in 12 records
    const stream = await kinesis.newStream(1);
    const table = await dynamo.newTable();
    const base = Date.now() - 3_600_000;
    const records: { Data: Buffer; PartitionKey: string }[] = [];
    for (let r = 0; r < 10; r++) {
      const data = aggregate(
        Array.from({ length: 5 }, (_, i) => {
          const seq = r * 5 + i + 1;
          const t = r === 6 && i === 0 ? base - 7_200_000 : base + seq * 10_000; // one late event
          return {
            partitionKey: 'server-001',
            data: encoder.encode(
              registry.version('MetricSample', 1),
              metricSample(seq, { occurred_at: new Date(t), value: seq }),
            ),
          };
        }),
      );
      records.push({ Data: data, PartitionKey: 'server-001' });
      if (r === 2 || r === 5) records.push({ Data: data, PartitionKey: 'server-001' }); // the producer retried
    }
    for (const rec of records)
      await kinesis.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: [rec] }));
    const stored = await readShard(kinesis.kinesis, stream, 'shardId-000000000000');
    const expected = oracle(await streamContent(kinesis.kinesis, stream), config);
    const a = new WindowProjection({ ddb: dynamo.ddb, tableName: table, registry, config });
    const b = new WindowProjection({ ddb: dynamo.ddb, tableName: table, registry, config });
    // Act: batches of 3 records, processes A, B, A, B
    for (let i = 0; i < stored.length; i += 3) {
      const batch = stored.slice(i, i + 3).map((r) => ({
        record: r,
        sequenceNumber: r.SequenceNumber as string,
        arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
      }));
      const result = await ((i / 3) % 2 === 0 ? a : b).processBatch('shardId-000000000000', batch);
      expect(result.failedSequenceNumber).toBeUndefined();
    }
    // Assess
    expect(expected.late.get(60_000)).toBe(1);
    const actual = await storedWindows(dynamo.ddb, table, config.windowSizesMs);
    expect(new Map([...actual].sort())).toEqual(new Map([...expected.windows].sort()));
  });
});
