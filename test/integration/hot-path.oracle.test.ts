/**
 * The randomized combination of the fault matrix's faults. The oracle and every check read
 * with independent readers (reference-stream-reader.ts, reference-item-reader.ts), and every
 * produced event is accounted for by identity (event-ledger.ts).
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventBody } from '#core/contract/events.js';
import { histogramMean } from '#core/contract/histogram.js';
import { aggregate } from '#core/contract/kpl.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { MemoryDestination } from '#test/helpers/memory-destination.js';
import { Producer } from '#core/produce/producer.js';
import { windowingConfig } from '#core/windows/config.js';
import { arbObservedHistogram, histogramOf, metricSample } from '#test/helpers/events.js';
import { accountEvents, expectEveryIdentityOnce, ProducedEvents } from '#test/helpers/event-ledger.js';
import { faultyDynamo, hotPathFunction, seeded, storedWindows } from '#test/helpers/hot-path-harness.js';
import { timeoutAfterSuccess, useLocalKinesis } from '#test/helpers/local-kinesis.js';
import { scanAll, useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { referenceSideOutputs, referenceWindows } from '#test/helpers/reference-item-reader.js';
import { ReferenceDecoder } from '#test/helpers/reference-stream-reader.js';
import { oracle, streamContent } from '#test/helpers/window-oracle.js';

const registry = SchemaRegistry.load();
const kinesis = useLocalKinesis();
const dynamo = useLocalDynamo();
const config = windowingConfig({
  windowSizesMs: [60_000, 3_600_000],
  outOfOrdernessMs: 20_000,
  allowedLatenessMs: 60_000,
  maxFutureSkewMs: 300_000,
  // the optional per-host log counts too (the other suites run the default, without them)
  logCountsByHost: true,
});

type Body =
  { type: 'MetricSample'; body: EventBody<'MetricSample'> } | { type: 'LogEvent'; body: EventBody<'LogEvent'> };

/**
 * An event relative to the run's base time: offsets span out-of-order, late (hours back) and
 * future-dated. Metric samples are plain or histograms (MetricSample v3: sum, min and max
 * recorded or not), in the same series as plain samples too.
 */
const arbEvent = (base: number): fc.Arbitrary<Body> =>
  fc
    .oneof(
      { weight: 4, arbitrary: fc.integer({ min: -120_000, max: 30_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: -4 * 3_600_000, max: -3_600_000 }) },
      { weight: 1, arbitrary: fc.constant(900_000) },
    )
    .chain((offset) =>
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .record({
              host: fc.constantFrom('server-001', 'server-002', 'server-003', 'server-004'),
              metric: fc.constantFrom('cpu_utilization', 'memory_usage'),
              value: fc.integer({ min: 0, max: 10_000 }).map((v) => v / 100),
            })
            .map(({ host, metric, value }): Body => ({
              type: 'MetricSample',
              body: {
                occurred_at: new Date(base + offset),
                host,
                metric,
                value,
                unit: 'percent',
                region: 'us-east-1',
                environment: 'test',
                tags: {},
              },
            })),
        },
        {
          weight: 1,
          arbitrary: fc
            .record({
              host: fc.constantFrom('server-001', 'server-002', 'server-003', 'server-004'),
              metric: fc.constantFrom('request_latency', 'cpu_utilization'),
              observed: arbObservedHistogram,
              recorded: fc.record({ sum: fc.boolean(), minMax: fc.boolean() }),
            })
            .filter(
              ({ observed: o, recorded: r }) => o.observations.length === 0 || o.bounds.length > 0 || r.sum || r.minMax,
            )
            .map(({ host, metric, observed, recorded }): Body => {
              const histogram = histogramOf(observed.observations, observed.bounds, recorded);
              return {
                type: 'MetricSample',
                body: {
                  occurred_at: new Date(base + offset),
                  host,
                  metric,
                  value: histogramMean(histogram),
                  unit: 'ms',
                  region: 'us-east-1',
                  environment: 'test',
                  tags: {},
                  histogram,
                },
              };
            }),
        },
        {
          weight: 1,
          arbitrary: fc
            .record({
              host: fc.constantFrom('server-001', 'server-003'),
              service: fc.constantFrom('api', 'auth'),
              level: fc.constantFrom('INFO', 'ERROR'),
            })
            .map(({ host, service, level }): Body => ({
              type: 'LogEvent',
              body: {
                occurred_at: new Date(base + offset),
                host,
                service,
                level,
                message: 'm',
                region: 'us-east-1',
                environment: 'test',
                attributes: {},
              },
            })),
        },
      ),
    );

describe('hot path against the oracle (kinesalite + DynamoDB Local, faults injected)', () => {
  it('every window equals a single clean pass, and produced = on the stream = windowed + late + quarantined, per event identity', async () => {
    const base = Math.floor(Date.now() / 60_000) * 60_000;
    /** Windows, over all runs, whose observations are not their samples: histograms were windowed. */
    let histogramWindows = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            events: fc.array(arbEvent(base), { minLength: 1, maxLength: 25 }),
            retriedAfterSuccess: fc.boolean(),
            poison: fc.boolean(),
          }),
          { minLength: 2, maxLength: 8 },
        ),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 15 }),
        // per-batch writes, or window state held over 1 s tumbling windows (sometimes flushed early)
        fc.constantFrom({ flush: 0 }, { flush: 1 }, { flush: 1, stateBudgetBytes: 3_000 }),
        async (chunks, seed, batchSize, held) => {
          // Prepare: a stream holding the chunks, producer duplicates and poison records
          const stream = await kinesis.newStream(2);
          const table = await dynamo.newTable();
          let call = 0;
          const retryChunks = new Set(chunks.flatMap((c, i) => (c.retriedAfterSuccess ? [i] : [])));
          let chunkIndex = 0;
          // Chunks marked for it: every other PutRecords lands, then times out (producer duplicates).
          const producerClient = timeoutAfterSuccess(
            kinesis.kinesis,
            () => retryChunks.has(chunkIndex) && call++ % 2 === 0,
          );
          const producer = await Producer.create({
            kinesis: producerClient,
            streamName: stream,
            registry,
            baseBackoffMs: 1,
            maxBackoffMs: 2,
          });
          const encoder = new SingleObjectEncoder();
          const produced = new ProducedEvents();
          let poisonCount = 0;
          for (const [i, chunk] of chunks.entries()) {
            chunkIndex = i;
            for (const e of chunk.events) await produced.put(producer, e.type, e.body);
            await produced.flush(producer);
            if (chunk.poison) {
              const unknown = encoder.encode(registry.version('MetricSample', 1), metricSample(1));
              unknown.writeBigUInt64LE(7n, 2);
              await kinesis.kinesis.send(
                new PutRecordsCommand({
                  StreamName: stream,
                  Records: [
                    { PartitionKey: 'server-001', Data: Buffer.from('not an event at all') },
                    { PartitionKey: 'server-002', Data: aggregate([{ partitionKey: 'server-002', data: unknown }]) },
                  ],
                }),
              );
              poisonCount += 2;
            }
          }
          await produced.close(producer);
          const expected = oracle(await streamContent(kinesis.kinesis, stream), config);

          // Act: the mapping drives the real handler through throttling, crashes, bisects and redeliveries
          const random = seeded(seed);
          const ddb = faultyDynamo(dynamo.ddb, random, { throttle: 0.08, crashBefore: 0.04, crashAfter: 0.04 });
          const { fn } = hotPathFunction({
            ddb,
            tableName: table,
            registry,
            config,
            ...(held.stateBudgetBytes ? { stateBudgetBytes: held.stateBudgetBytes } : {}),
          });
          const redelivered = new Set<string>();
          const mapping = new KinesisEventSourceMapping({
            kinesis: kinesis.kinesis,
            streamName: stream,
            fn,
            onFailure: new MemoryDestination(),
            tumblingWindowSeconds: held.flush,
            batchSize,
            retryAttempts: -1,
            bisectBatchOnError: true,
            redeliver: (batch) => {
              const key = batch[0]?.kinesis.sequenceNumber ?? '';
              if (redelivered.has(key) || random() > 0.2) return false;
              redelivered.add(key);
              return true;
            },
          });
          const stats = await mapping.drain();

          // Assess: every produced identity once, on the stream and in the windows or a side output
          const items = await scanAll(dynamo.ddb, table);
          const actual = referenceWindows(items, config.windowSizesMs);
          const sideOutputs = referenceSideOutputs(items, new ReferenceDecoder());
          const account = accountEvents(produced, expected, { windows: actual, sideOutputs }, config.windowSizesMs);
          expectEveryIdentityOnce(account);
          expect([account.lost, account.doubleCounted]).toEqual([0, 0]);
          expect(account.windowed + account.late + account.quarantined).toBe(account.produced);
          expect([sideOutputs.poison, expected.poison]).toEqual([poisonCount, poisonCount]);
          // and every aggregate of every window, as the reference reader and as the project's reader see it
          expect(new Map([...actual].sort())).toEqual(new Map([...expected.windows].sort()));
          histogramWindows += [...expected.windows.values()].filter((w) => w.count !== w.samples).length;
          const projectView = await storedWindows(dynamo.ddb, table, config.windowSizesMs);
          expect(new Map([...projectView].sort())).toEqual(new Map([...actual].sort()));
          expect(stats.discardedRecords).toBe(0);
        },
      ),
      { numRuns: 12, endOnFailure: true },
    );
    expect(histogramWindows).toBeGreaterThan(0);
  }, 600_000);
});
