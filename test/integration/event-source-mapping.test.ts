import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRecordsCommand, PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '#core/clients/s3.js';
import { S3FailureDestination } from '#local/failure-destination.js';
import { ensureBucket, startS3Server } from '#local/s3-server.js';
import { describe, expect, it } from 'vitest';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { MemoryDestination } from '#test/helpers/memory-destination.js';
import { type LambdaKinesisEvent } from '#core/lambda/events.js';
import { waitActive } from '#local/streams.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';

const local = useLocalKinesis();

/** Puts `n` records 'r0'…'r{n-1}' on one partition key (one shard, in order). */
async function putRecords(stream: string, n: number, key = 'server-001', from = 0): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    const Records = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
      PartitionKey: key,
      Data: Buffer.from(`r${from + i + j}`),
    }));
    await local.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records }));
  }
}

/**
 * The local Kinesis client, counting in `calls` the commands sent through it, by name,
 * and keeping in `limits` the Limit of each GetRecords.
 */
function counting(calls: Map<string, number>, limits: number[] = []): typeof local.kinesis {
  return {
    send: async (command: Parameters<typeof local.kinesis.send>[0]) => {
      calls.set(command.constructor.name, (calls.get(command.constructor.name) ?? 0) + 1);
      if (command instanceof GetRecordsCommand) limits.push(command.input.Limit ?? 0);
      return local.kinesis.send(command);
    },
  } as typeof local.kinesis;
}

const payloads = (e: LambdaKinesisEvent) => e.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString());

describe('local event source mapping (Lambda Kinesis semantics)', () => {
  it('delivers every record once, in order, in batches of at most batchSize', async () => {
    // Prepare
    const stream = await local.newStream(1);
    await putRecords(stream, 23);
    const batches: string[][] = [];
    const mapping = new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 5,
      fn: async (e) => {
        batches.push(payloads(e));
      },
    });
    // Act
    await mapping.drain();
    // Assess
    expect(batches.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
    expect(batches.flat()).toEqual(Array.from({ length: 23 }, (_, i) => `r${i}`));
    expect(batches[0]?.[0]).toBe('r0');
  });

  it('keeps its shard iterator from poll to poll: one GetShardIterator for the shard, a failed batch retried in place', async () => {
    // Prepare: 20 records; the batch holding r12 fails once
    const stream = await local.newStream(1);
    await putRecords(stream, 20);
    const calls = new Map<string, number>();
    let failed = false;
    const delivered: string[] = [];
    // Act
    await new KinesisEventSourceMapping({
      kinesis: counting(calls),
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 5,
      bisectBatchOnError: false,
      fn: async (e) => {
        const batch = payloads(e);
        if (batch.includes('r12') && !failed) {
          failed = true;
          throw new Error('once');
        }
        delivered.push(...batch);
      },
    }).drain();
    // Assess: one iterator at the start; the failed batch is retried in place (no new read),
    // and the reads after it continue with the kept iterator
    expect(delivered).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
    expect(calls.get('GetShardIteratorCommand')).toBe(1);
    expect(calls.get('GetRecordsCommand')).toBeGreaterThanOrEqual(5);
  });

  it('reads a caught-up shard once per poll interval within the batching window, not in a spin', async () => {
    // Prepare: 3 records, then nothing; a 300 ms window, polled every 200 ms
    const stream = await local.newStream(1);
    await putRecords(stream, 3);
    const calls = new Map<string, number>();
    const readsBefore: number[] = [];
    // Act
    await new KinesisEventSourceMapping({
      kinesis: counting(calls),
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 100,
      maxBatchingWindowMs: 300,
      pollIntervalMs: 200,
      fn: async (e) => {
        readsBefore.push(calls.get('GetRecordsCommand') ?? 0);
        expect(payloads(e)).toEqual(['r0', 'r1', 'r2']);
      },
    }).drain();
    // Assess: the 3 records (caught up), a read 200 ms later, one at the window's end (100 ms)
    expect(readsBefore).toEqual([3]);
  });

  it('checkpoints before the lowest reported batch item failure and retries from it', async () => {
    // Prepare: the first invocation reports r3 (and r5) as failed
    const stream = await local.newStream(1);
    await putRecords(stream, 8);
    const batches: string[][] = [];
    const mapping = new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 8,
      fn: async (e) => {
        batches.push(payloads(e));
        if (batches.length > 1) return { batchItemFailures: [] };
        return {
          batchItemFailures: [e.Records[5], e.Records[3]].map((r) => ({
            itemIdentifier: r?.kinesis.sequenceNumber ?? '',
          })),
        };
      },
    });
    // Act
    const stats = await mapping.drain();
    // Assess
    expect(batches).toEqual([
      ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'],
      ['r3', 'r4', 'r5', 'r6', 'r7'],
    ]);
    expect(stats.partialFailures).toBe(1);
  });

  it('bisects a failing batch, retries the bad record, then sends it with its payload to the on-failure destination', async () => {
    // Prepare: r5 always fails the invocation
    const stream = await local.newStream(1);
    await putRecords(stream, 8);
    const destination = new MemoryDestination();
    const delivered: string[] = [];
    const mapping = new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: destination,
      batchSize: 8,
      retryAttempts: 2,
      fn: async (e) => {
        if (payloads(e).includes('r5')) throw new Error('poison');
        delivered.push(...payloads(e));
      },
    });
    // Act
    const stats = await mapping.drain();
    // Assess
    expect(delivered).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r6', 'r7']);
    expect(
      destination.batches.map((b) => ({
        reason: b.reason,
        records: b.records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()),
      })),
    ).toEqual([{ reason: 'RetryAttemptsExhausted', records: ['r5'] }]);
    // r0–r7 fails → r0–r3 ok, r4–r7 fails → r4–r5 fails → r4 ok, r5 fails once + 2 retries; r6–r7 ok
    expect(stats.bisections).toBe(3);
    expect(stats.functionErrors).toBe(6);
  });

  it('without bisect, a failing batch is retried whole, then discarded whole', async () => {
    const stream = await local.newStream(1);
    await putRecords(stream, 3);
    const destination = new MemoryDestination();
    let calls = 0;
    const mapping = new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: destination,
      bisectBatchOnError: false,
      retryAttempts: 1,
      fn: async () => {
        calls++;
        throw new Error('down');
      },
    });
    await mapping.drain();
    expect(calls).toBe(2);
    expect(destination.batches.map((b) => b.records.length)).toEqual([3]);
  });

  it('discards records older than maxRecordAge without invoking the function', async () => {
    // Prepare: the clock is an hour ahead of the records' arrival
    const stream = await local.newStream(1);
    await putRecords(stream, 4);
    const destination = new MemoryDestination();
    let calls = 0;
    const mapping = new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: destination,
      maxRecordAgeMs: 60_000,
      now: () => Date.now() + 3_600_000,
      fn: async () => {
        calls++;
      },
    });
    // Act
    await mapping.drain();
    // Assess
    expect(calls).toBe(0);
    expect(destination.batches.map((b) => [b.reason, b.records.length])).toEqual([['RecordAgeExceeded', 4]]);
  });

  it("ends a batch before the record that would take its payload past Lambda's 6 MB, and reads no more than fits", async () => {
    // Prepare: 100 records of 300 KB (400 KB in base64): 15 fit in 6 MB
    const stream = await local.newStream(1);
    for (let i = 0; i < 100; i += 10) {
      await local.kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: Array.from({ length: 10 }, (_, j) => ({
            PartitionKey: 'k',
            Data: Buffer.alloc(300_000, i + j),
          })),
        }),
      );
    }
    const batches: number[][] = [];
    const limits: number[] = [];
    // Act
    await new KinesisEventSourceMapping({
      kinesis: counting(new Map(), limits),
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 1_000,
      fn: async (e) => {
        batches.push(e.Records.map((r) => Buffer.from(r.kinesis.data, 'base64')[0] as number));
      },
    }).drain();
    // Assess: every record once, in order, 15 per batch at most; the first read asks for 100
    // records, and each later one for no more than the payload has room for (15)
    expect(batches.map((b) => b.length)).toEqual([15, 15, 15, 15, 15, 15, 10]);
    expect(batches.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(limits[0]).toBe(100);
    expect(Math.max(...limits.slice(1))).toBe(15);
  });

  it('retries polls the stream does not answer, gives up with the error after maxPollFailures in a row, and does not retry other errors', async () => {
    // Prepare: the first three GetRecords calls fail as an unreachable server does; then one that always fails
    const stream = await local.newStream(1);
    await putRecords(stream, 12);
    let failures = 3;
    const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4567'), { code: 'ECONNREFUSED' });
    const flaky = {
      send: async (command: Parameters<typeof local.kinesis.send>[0]) => {
        if (command instanceof GetRecordsCommand && failures-- > 0) throw unreachable;
        return local.kinesis.send(command);
      },
    } as typeof local.kinesis;
    const down = { send: async () => Promise.reject(unreachable) } as unknown as typeof local.kinesis;
    const delivered: string[] = [];
    const options = { streamName: stream, onFailure: new MemoryDestination(), batchSize: 5 };

    // Act
    const mapping = new KinesisEventSourceMapping({
      ...options,
      kinesis: flaky,
      fn: async (e) => {
        delivered.push(...payloads(e));
      },
    });
    await mapping.drain();
    const never = new KinesisEventSourceMapping({ ...options, kinesis: down, maxPollFailures: 2, fn: async () => {} });
    const gaveUp = await never.drain().catch((e: unknown) => e);
    const missing = Object.assign(new Error('Stream gone not found'), {
      name: 'ResourceNotFoundException',
      $fault: 'client',
    });
    const gone = { send: async () => Promise.reject(missing) } as unknown as typeof local.kinesis;
    const notRetried = new KinesisEventSourceMapping({ ...options, kinesis: gone, fn: async () => {} });
    const atOnce = await notRetried.drain().catch((e: unknown) => e);

    // Assess
    expect(delivered).toEqual(Array.from({ length: 12 }, (_, i) => `r${i}`));
    expect(mapping.stats.pollFailures).toBe(3);
    expect(gaveUp).toBe(unreachable);
    expect(never.stats.pollFailures).toBe(3);
    expect(atOnce).toBe(missing); // not an outage: no retries
    expect(notRetried.stats.pollFailures).toBe(0);
  });

  it('processes a split parent to its end before either child', async () => {
    // Prepare
    const stream = await local.newStream(1);
    await putRecords(stream, 5, 'a');
    await local.kinesis.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitActive(local.kinesis, stream);
    await putRecords(stream, 5, 'a', 5);
    const order: string[] = [];
    const mapping = new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 2,
      fn: async (e) => {
        order.push(...e.Records.map((r) => `${r.eventID.split(':')[0]}/${Buffer.from(r.kinesis.data, 'base64')}`));
      },
    });
    // Act
    await mapping.drain();
    // Assess
    const parent = order.filter((o) => o.startsWith('shardId-000000000000/'));
    expect(parent.map((o) => o.split('/')[1])).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(order.slice(0, 5)).toEqual(parent);
    expect(order.slice(5).map((o) => o.split('/')[1])).toEqual(['r5', 'r6', 'r7', 'r8', 'r9']);
  });
});

describe('S3 on-failure destination', () => {
  it('keeps a discarded batch with its payload in the local S3, as Lambda does', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'pulse-dest-'));
    const s3server = await startS3Server({ directory: dir });
    const s3 = createS3Client({ endpoint: s3server.endpoint });
    try {
      await ensureBucket(s3, 'failures');
      const stream = await local.newStream(1);
      await putRecords(stream, 2);
      const destination = new S3FailureDestination(
        s3,
        'failures',
        'mapping-1',
        `arn:aws:kinesis:local:000000000000:stream/${stream}`,
      );
      const mapping = new KinesisEventSourceMapping({
        kinesis: local.kinesis,
        streamName: stream,
        onFailure: destination,
        bisectBatchOnError: false,
        retryAttempts: 0,
        fn: async () => {
          throw new Error('down');
        },
      });
      // Act
      await mapping.drain();
      // Assess
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: 'failures', Prefix: 'aws/lambda/mapping-1/shardId-000000000000/' }),
      );
      expect(listed.Contents?.length).toBe(1);
      const object = await s3.send(new GetObjectCommand({ Bucket: 'failures', Key: listed.Contents?.[0]?.Key }));
      const body = JSON.parse((await object.Body?.transformToString()) ?? '{}');
      expect(body.requestContext.condition).toBe('RetryAttemptsExhausted');
      expect(body.KinesisBatchInfo).toMatchObject({ shardId: 'shardId-000000000000', batchSize: 2 });
      const payload = JSON.parse(body.payload) as LambdaKinesisEvent;
      expect(payload.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString())).toEqual(['r0', 'r1']);
    } finally {
      s3.destroy();
      await s3server.stop();
    }
  });
});
