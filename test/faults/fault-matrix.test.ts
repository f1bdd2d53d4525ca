/**
 * The fault matrix (`npm run test:faults`, also part of `npm test`): one seeded
 * workload per fault, produced to kinesalite and driven through the real hot path
 * (local event source mapping, projection, DynamoDB Local), then compared window by
 * window with the oracle (a single clean pass over what the stream holds), every
 * side read by independent readers (reference-stream-reader.ts, reference-item-reader.ts).
 *
 * Every event is accounted for by identity (producer_id, producer_seq), not by count
 * (event-ledger.ts): the identities the producer acknowledged must be exactly the unique
 * identities on the stream, each window must count exactly the produced identities the
 * oracle puts in it, and the late output and the quarantine must hold exactly theirs. For
 * each fault it prints events produced, unique on the stream, windowed, late, quarantined,
 * poison records, lost and double-counted; lost and double-counted must be 0.
 *
 * Every scenario also rebuilds its windows from the Parquet archive of its stream
 * (the real local delivery, with Firehose-style redeliveries) and counts the windows
 * that differ from the live table (`archiveDiffers`, must be 0).
 *
 * Covered elsewhere and not repeated here: a `pulse start` killed hard mid-run and
 * restarted (test/e2e/local-mode.test.ts), the randomized combination of these
 * faults (test/integration/hot-path.oracle.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type KinesisClient, MergeShardsCommand, PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { startDynamoServer } from '#local/dynamodb-server.js';
import { startKinesisServer } from '#local/kinesis-server.js';
import { ensureWindowTable } from '#local/tables.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventBody } from '#core/contract/events.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { MemoryDestination } from '#test/helpers/memory-destination.js';
import { type KinesisFunction } from '#core/lambda/events.js';
import { createStream, listShards, waitActive } from '#local/streams.js';
import { ArchiveReader } from '#core/ops/archive.js';
import { kinesisParentsOf } from '#core/projections/lineage.js';
import { rebuild } from '#core/ops/rebuild.js';
import { Producer } from '#core/produce/producer.js';
import { windowingConfig } from '#core/windows/config.js';
import { faultyDynamo, hotPathFunction, seeded, storedWindows } from '#test/helpers/hot-path-harness.js';
import { scanAll, useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { useLocalLake } from '#test/helpers/local-lake.js';
import { timeoutAfterSuccess, useLocalKinesis } from '#test/helpers/local-kinesis.js';
import { accountEvents, expectEveryIdentityOnce, ProducedEvents } from '#test/helpers/event-ledger.js';
import { referenceSideOutputs, referenceWindows } from '#test/helpers/reference-item-reader.js';
import { ReferenceDecoder } from '#test/helpers/reference-stream-reader.js';
import { oracle, streamContent } from '#test/helpers/window-oracle.js';

const registry = SchemaRegistry.load();
const kinesis = useLocalKinesis();
const dynamo = useLocalDynamo();
const lake = useLocalLake();
const config = windowingConfig({
  windowSizesMs: [60_000, 3_600_000],
  outOfOrdernessMs: 20_000,
  allowedLatenessMs: 60_000,
  maxFutureSkewMs: 300_000,
});
const HOSTS = ['server-001', 'server-002', 'server-003', 'server-004', 'server-005', 'server-006'];

/** One line of the table (events of the finest window size). */
interface Row {
  fault: string;
  /** Events the producer acknowledged. */
  produced: number;
  /** Events on the stream, every copy counted (producer retries send some twice). */
  copiesOnStream: number;
  /** Unique identities on the stream. */
  onStream: number;
  windowed: number;
  late: number;
  /** Future-dated events in quarantine. */
  quarantined: number;
  /** Poison records in quarantine (not events). */
  poison: number;
  lost: number;
  doubleCounted: number;
  /** Windows a rebuild from the Parquet archive got different from the live table (must be 0). */
  archiveDiffers: number;
}
const rows: Row[] = [];

afterAll(() => {
  const cols = [
    'fault',
    'produced',
    'copiesOnStream',
    'onStream',
    'windowed',
    'late',
    'quarantined',
    'poison',
    'lost',
    'doubleCounted',
    'archiveDiffers',
  ] as const;
  const width = (c: (typeof cols)[number]) => Math.max(c.length, ...rows.map((r) => String(r[c]).length));
  const line = (cells: string[]) =>
    cells.map((x, i) => (i === 0 ? x.padEnd(width(cols[i] as never)) : x.padStart(width(cols[i] as never)))).join('  ');
  process.stdout.write(
    `\nfault matrix\n${line([...cols])}\n${[...cols].map((c) => '-'.repeat(width(c))).join('  ')}\n${rows
      .map((r) => line(cols.map((c) => String(r[c]))))
      .join('\n')}\n\n`,
  );
});

/** A seeded workload: `n` events over the hosts, mostly in order; optionally late and future ones. */
function workload(n: number, seed: number, withLateAndFuture = false): EventBody<'MetricSample' | 'LogEvent'>[] {
  const random = seeded(seed);
  const base = Math.floor(Date.now() / 60_000) * 60_000 - 600_000;
  return Array.from({ length: n }, (_, i) => {
    let t = base + i * 1_500 + Math.floor(random() * 15_000);
    if (withLateAndFuture && i % 17 === 5) t = base - 2 * 3_600_000; // late for every window size
    if (withLateAndFuture && i % 23 === 7) t = Date.now() + 900_000; // beyond the future-skew bound
    const host = HOSTS[Math.floor(random() * HOSTS.length)] as string;
    if (i % 5 === 0) {
      return {
        occurred_at: new Date(t),
        host,
        service: 'api',
        level: random() < 0.8 ? 'INFO' : 'ERROR',
        message: 'm',
        region: 'r',
        environment: 'e',
        attributes: {},
      } satisfies EventBody<'LogEvent'>;
    }
    return {
      occurred_at: new Date(t),
      host,
      metric: random() < 0.5 ? 'cpu_utilization' : 'memory_usage',
      value: Math.round(random() * 10_000) / 100,
      unit: 'percent',
      region: 'r',
      environment: 'e',
      tags: {},
    } satisfies EventBody<'MetricSample'>;
  });
}

/** How a scenario disturbs the run. */
interface Scenario {
  fault: string;
  shards?: number;
  lateAndFuture?: boolean;
  /** Every other PutRecords "times out" after it landed: the producer sends it again. */
  producerDuplicates?: boolean;
  /** Poison records (not Avro, unknown fingerprint) and an oversized one, between the chunks. */
  poison?: boolean;
  /** Between chunks: split the first shard, then merge two adjacent shards. */
  reshard?: boolean;
  throttle?: number;
  crashBefore?: number;
  crashAfter?: number;
  /** Every batch is delivered twice. */
  redeliverAll?: boolean;
  /** The first process handles this many invocations, then dies; a new one starts from the stream's start. */
  restartAfter?: number;
  /** DynamoDB, then Kinesis (both on disk) stop mid-run and start again on the same ports. */
  restartServers?: boolean;
  /** The mapping's tumbling window, seconds: window state held between invocations, written at flushes. */
  flush?: number;
  /** Held state past this many bytes is flushed early by the handler. */
  stateBudgetBytes?: number;
  /** The first final invoke of every window loses its response after its writes landed: Lambda retries it. */
  loseFinalResponses?: boolean;
  /** Every other invocation returns a state over 1 MB: the mapping ends the window early. */
  oversizeState?: boolean;
}

/** The servers a scenario runs against. */
interface Servers {
  kinesis: KinesisClient;
  ddb: DynamoDBClient;
  newStream(shards: number): Promise<string>;
  newTable(): Promise<string>;
  /** Stops one server (its data stays on disk) and starts it again on its port, `downMs` later. */
  restart?(which: 'kinesis' | 'dynamodb', downMs: number): Promise<{ up: Promise<void> }>;
  close?(): Promise<void>;
}

/** Kinesis and DynamoDB servers of the scenario's own, keeping their data on disk, restartable on their ports. */
async function restartableServers(): Promise<Servers> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-restart-'));
  const portOf = (endpoint: string) => Number(new URL(endpoint).port);
  let k = await startKinesisServer({ path: join(dir, 'kinesis') });
  let d = await startDynamoServer({ path: join(dir, 'dynamodb') });
  const kPort = portOf(k.endpoint);
  const dPort = portOf(d.endpoint);
  const kinesisClient = createKinesisClient({ endpoint: k.endpoint });
  const ddb = createDynamoClient({ endpoint: d.endpoint });
  return {
    kinesis: kinesisClient,
    ddb,
    newStream: async (shards) => {
      await createStream(kinesisClient, 'restarted', shards);
      return 'restarted';
    },
    newTable: async () => {
      const name = `windows-${randomUUID().slice(0, 8)}`;
      await ensureWindowTable(ddb, name);
      return name;
    },
    restart: async (which, downMs) => {
      await (which === 'kinesis' ? k : d).stop();
      const up = (async () => {
        await new Promise((r) => setTimeout(r, downMs));
        if (which === 'kinesis') k = await startKinesisServer({ path: join(dir, 'kinesis'), port: kPort });
        else d = await startDynamoServer({ path: join(dir, 'dynamodb'), port: dPort });
      })();
      return { up };
    },
    close: async () => {
      kinesisClient.destroy();
      ddb.destroy();
      await Promise.all([k.stop(), d.stop()]);
    },
  };
}

/**
 * The held-state faults of a scenario around the hot-path function: a final invoke whose
 * response is lost after its writes landed (the mapping retries it with the same state),
 * and a state padded past Lambda's 1 MB (the mapping ends the window early).
 */
function heldStateFaults(fn: KinesisFunction, s: Scenario): KinesisFunction {
  if (!s.loseFinalResponses && !s.oversizeState) return fn;
  const lost = new Set<string>();
  let invocations = 0;
  return async (event) => {
    const out = await fn(event);
    if (!('isFinalInvokeForWindow' in event)) return out;
    if (s.loseFinalResponses && event.isFinalInvokeForWindow) {
      const key = `${event.shardId}@${event.window.start}#${String(event.state.pulse ?? '').length}`;
      if (!lost.has(key)) {
        lost.add(key);
        throw new Error('simulated timeout: the final invoke stored everything, its response was lost');
      }
    }
    if (s.oversizeState && !event.isFinalInvokeForWindow && out && 'state' in out && ++invocations % 2 === 1) {
      return { ...out, state: { ...out.state, padding: 'x'.repeat(1_100_000) } };
    }
    return out;
  };
}

async function run(s: Scenario): Promise<Row> {
  // Prepare: the workload in three chunks, with the scenario's disturbances of the stream
  const env: Servers = s.restartServers
    ? await restartableServers()
    : { kinesis: kinesis.kinesis, ddb: dynamo.ddb, newStream: kinesis.newStream, newTable: dynamo.newTable };
  const stream = await env.newStream(s.shards ?? 2);
  const table = await env.newTable();
  let calls = 0;
  const client = timeoutAfterSuccess(env.kinesis, () => !!s.producerDuplicates && calls++ % 2 === 0);
  const producer = await Producer.create({
    kinesis: client,
    streamName: stream,
    registry,
    lingerMs: 5,
    // Held-state scenarios: small records, so batches, windows and flushes are many.
    ...(s.flush ? { maxRecordBytes: 1_500 } : {}),
    baseBackoffMs: 1,
    maxBackoffMs: 2,
  });
  const events = workload(300, 42, s.lateAndFuture);
  const produced = new ProducedEvents();
  let poison = 0;
  for (let chunk = 0; chunk < 3; chunk++) {
    for (const e of events.slice(chunk * 100, (chunk + 1) * 100)) {
      await produced.put(producer, 'metric' in e ? 'MetricSample' : 'LogEvent', e);
    }
    await produced.flush(producer);
    if (s.poison) {
      await env.kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: [
            { PartitionKey: 'server-001', Data: Buffer.from('not an event at all') },
            { PartitionKey: 'server-002', Data: Buffer.alloc(900_000, 7) }, // oversized: chunked into quarantine
          ],
        }),
      );
      poison += 2;
    }
    if (s.reshard && chunk === 0) {
      await env.kinesis.send(
        new SplitShardCommand({
          StreamName: stream,
          ShardToSplit: 'shardId-000000000000',
          NewStartingHashKey: (2n ** 126n).toString(),
        }),
      );
      await waitActive(env.kinesis, stream);
    }
    if (s.reshard && chunk === 1) {
      const open = (await listShards(env.kinesis, stream)).filter((x) => !x.SequenceNumberRange?.EndingSequenceNumber);
      const [a, b] = open.sort((x, y) =>
        BigInt(x.HashKeyRange?.StartingHashKey ?? 0) < BigInt(y.HashKeyRange?.StartingHashKey ?? 0) ? -1 : 1,
      );
      await env.kinesis.send(
        new MergeShardsCommand({ StreamName: stream, ShardToMerge: a?.ShardId, AdjacentShardToMerge: b?.ShardId }),
      );
      await waitActive(env.kinesis, stream);
    }
  }
  await produced.close(producer);
  const expected = oracle(await streamContent(env.kinesis, stream), config);

  // Act: the real hot path under the scenario's faults
  const random = seeded(7);
  const ddb = faultyDynamo(env.ddb, random, {
    throttle: s.throttle ?? 0,
    crashBefore: s.crashBefore ?? 0,
    crashAfter: s.crashAfter ?? 0,
  });
  const mappingFor = (fn: ReturnType<typeof hotPathFunction>['fn']) =>
    new KinesisEventSourceMapping({
      kinesis: env.kinesis,
      streamName: stream,
      fn: heldStateFaults(fn, s),
      onFailure: new MemoryDestination(),
      tumblingWindowSeconds: s.flush ?? 0,
      // One record per batch when a process is killed or the servers restart: enough
      // invocations for it to happen mid-stream, however the producer happened to aggregate.
      batchSize: s.restartAfter !== undefined || s.restartServers ? 1 : 7,
      retryAttempts: -1,
      bisectBatchOnError: true,
      redeliver: s.redeliverAll
        ? (() => {
            const seen = new Set<string>();
            return (batch) => {
              const key = batch[0]?.kinesis.sequenceNumber ?? '';
              if (seen.has(key)) return false;
              seen.add(key);
              return true;
            };
          })()
        : undefined,
    });
  if (s.restartAfter !== undefined) {
    // The first process dies after some invocations (its next one never returns), and its
    // mapping's positions die with it: the new process starts from the stream's start.
    const first = hotPathFunction({
      ddb,
      tableName: table,
      registry,
      config,
      parentsOf: kinesisParentsOf(env.kinesis, stream),
      ...(s.stateBudgetBytes !== undefined ? { stateBudgetBytes: s.stateBudgetBytes } : {}),
    });
    let invocations = 0;
    const limit = s.restartAfter;
    let finished = false;
    void mappingFor((event) => (++invocations > limit ? new Promise(() => {}) : first.fn(event)))
      .drain()
      .then(() => (finished = true));
    while (invocations <= limit && !finished) await new Promise((r) => setTimeout(r, 5));
    // The kill must have happened mid-stream, or this scenario tests nothing.
    expect(finished).toBe(false);
  }
  const { fn } = hotPathFunction({
    ddb,
    tableName: table,
    registry,
    config,
    parentsOf: kinesisParentsOf(env.kinesis, stream),
    ...(s.stateBudgetBytes !== undefined ? { stateBudgetBytes: s.stateBudgetBytes } : {}),
  });
  const restarts: Promise<void>[] = [];
  let invocations = 0;
  const stats = await mappingFor(async (event) => {
    // DynamoDB goes down under the 2nd invocation and comes back while the mapping retries
    // the function; the stream goes down after the first invocation that succeeds again, and
    // comes back while the mapping retries its polls.
    if (s.restartServers && ++invocations === 2)
      restarts.push((await env.restart?.('dynamodb', 300))?.up as Promise<void>);
    const out = await fn(event);
    if (s.restartServers && restarts.length === 1)
      restarts.push((await env.restart?.('kinesis', 1_000))?.up as Promise<void>);
    return out;
  }).drain();
  await Promise.all(restarts);
  // The held-state scenarios did hold state, flushed it, and met their faults.
  if (s.flush) expect(stats.finalInvocations).toBeGreaterThan(1);
  if (s.oversizeState) expect(stats.windowsTerminatedEarly).toBeGreaterThan(0);
  if (s.loseFinalResponses) expect(stats.functionErrors).toBeGreaterThan(0);
  if (s.restartServers) {
    // Both restarts hit the run: invocations failed, and polls too.
    expect(restarts).toHaveLength(2);
    expect(stats.functionErrors).toBeGreaterThan(0);
    expect(stats.pollFailures).toBeGreaterThan(0);
  }

  // Assess: window by window against the oracle, event by event against what was produced
  const items = await scanAll(env.ddb, table);
  const actual = referenceWindows(items, config.windowSizesMs);
  const liveItems = items.filter((i) => i.kind?.S === 'host' || i.kind?.S === 'service').length;
  const sideOutputs = referenceSideOutputs(items, new ReferenceDecoder());
  const account = accountEvents(produced, expected, { windows: actual, sideOutputs }, config.windowSizesMs);
  // The project's own reader sees the same windows as the reference reader.
  const projectView = await storedWindows(env.ddb, table, config.windowSizesMs);
  // The same windows again, from the Parquet archive of the same stream
  const lakeDir = (await lake.archive(env.kinesis, stream, registry)).dir;
  const archive = await ArchiveReader.open(registry, lakeDir);
  const fromArchive = await rebuild({
    kinesis: env.kinesis,
    streamName: stream,
    ddb: env.ddb,
    liveTable: table,
    freshTable: await env.newTable(),
    registry,
    config,
    from: 0,
    to: Number.MAX_SAFE_INTEGER,
    archive,
  }).finally(() => archive.close());
  await env.close?.();
  const row: Row = {
    fault: s.fault,
    produced: account.produced,
    copiesOnStream: expected.copies,
    onStream: account.onStream,
    windowed: account.windowed,
    late: account.late,
    quarantined: account.quarantined,
    poison: sideOutputs.poison,
    lost: account.lost,
    doubleCounted: account.doubleCounted,
    archiveDiffers: fromArchive.differing.length,
  };
  rows.push(row);
  // per identity: produced = unique on the stream (as produced) = windowed + late + quarantined
  expectEveryIdentityOnce(account);
  expect(row.windowed + row.late + row.quarantined).toBe(row.produced);
  expect([row.poison, expected.poison]).toEqual([poison, poison]);
  // The scenario did put copies on the stream, or it tested nothing.
  if (s.producerDuplicates) expect(row.copiesOnStream).toBeGreaterThan(row.produced);
  // window by window, every aggregate
  expect(new Map([...actual].sort())).toEqual(new Map([...expected.windows].sort()));
  expect(new Map([...projectView].sort())).toEqual(new Map([...actual].sort()));
  expect(stats.discardedRecords).toBe(0);
  expect(fromArchive.differing).toEqual([]);
  expect(fromArchive.windows).toBe(liveItems);
  return row;
}

/** The faults every "all of the above at once" row combines. */
const ALL_AT_ONCE: Omit<Scenario, 'fault'> = {
  redeliverAll: true,
  producerDuplicates: true,
  throttle: 0.05,
  crashBefore: 0.03,
  crashAfter: 0.03,
  reshard: true,
  poison: true,
  lateAndFuture: true,
};

describe('fault matrix: nothing lost, nothing counted twice', () => {
  it.each<Scenario>([
    { fault: 'none (baseline)' },
    { fault: 'redelivered batches', redeliverAll: true },
    { fault: 'producer duplicates', producerDuplicates: true },
    { fault: 'partial failures (DynamoDB throttling)', throttle: 0.1 },
    { fault: 'function errors, bisect', crashBefore: 0.06 },
    { fault: 'crash between writes', crashAfter: 0.08 },
    { fault: 'process killed and restarted', restartAfter: 3, crashAfter: 0.02 },
    { fault: 'reshard: split and merge mid-stream', shards: 2, reshard: true },
    { fault: 'poison and oversized records', poison: true },
    { fault: 'late and future events', lateAndFuture: true },
    { fault: 'local servers restarted mid-run', restartServers: true },
    { fault: 'held state: crash after some flush writes landed', flush: 1, crashAfter: 0.08 },
    { fault: 'held state: final invoke retried after its writes landed', flush: 1, loseFinalResponses: true },
    {
      fault: 'held state: early flushes and windows ended early past 1 MB',
      flush: 1,
      stateBudgetBytes: 2_000,
      oversizeState: true,
    },
    { fault: 'held state: reshard with state in flight', flush: 1, shards: 2, reshard: true },
    { fault: 'held state: redelivered batches inside an open window', flush: 1, redeliverAll: true },
    {
      fault: 'held state: all of the above at once',
      ...ALL_AT_ONCE,
      flush: 1,
      stateBudgetBytes: 2_000,
      oversizeState: true,
      loseFinalResponses: true,
    },
    { fault: 'all of the above at once', ...ALL_AT_ONCE },
  ])(
    '$fault',
    async (scenario) => {
      const row = await run(scenario);
      expect([row.lost, row.doubleCounted]).toEqual([0, 0]);
    },
    300_000,
  );
});
