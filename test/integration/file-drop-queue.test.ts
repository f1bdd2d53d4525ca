/**
 * The file drop behind its queue, against the local servers: the local S3's own
 * notifications → the in-process queue (SQS semantics) → the real file-drop handler
 * (Powertools batch), with a fault-injecting wrapper around the real S3 client.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createS3Client } from '#core/clients/s3.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import type { LocalServer } from '#local/kinesis-server.js';
import { LocalQueue, QueueEventSource } from '#local/queue.js';
import { ensureBucket, startS3Server } from '#local/s3-server.js';
import { LocalSources } from '#local/sources.js';
import { ensureIdempotencyTable } from '#local/tables.js';
import type { FileResult } from '#core/sources/file-drop.js';
import { localClock } from '#core/sources/idempotency.js';
import { fileDropHandler } from '#handlers/lib/file-drop.js';
import { FILE_DROP_EMF } from '#core/metrics/names.js';
import { captureEmf, dimensionsOf } from '#test/helpers/emf.js';
import { captureLogs, fakeContext } from '#test/helpers/logs.js';
import { useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { readAll, useLocalKinesis } from '#test/helpers/local-kinesis.js';

const registry = SchemaRegistry.load();
const kinesisLocal = useLocalKinesis();
const dynamoLocal = useLocalDynamo();
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
/** Where the local S3's notifications go (each test sets it). */
let onS3Event: (e: S3Event) => void = () => {};
let s3Server: LocalServer;
let s3: S3Client;

beforeAll(async () => {
  s3Server = await startS3Server({
    directory: join(mkdtempSync(join(tmpdir(), 'pulse-drop-queue-')), 's3'),
    onEvent: (e) => onS3Event(e),
  });
  s3 = createS3Client({ endpoint: s3Server.endpoint });
});
afterAll(async () => {
  s3?.destroy();
  await s3Server?.stop();
});
afterEach(() => {
  onS3Event = () => {};
  vi.restoreAllMocks();
});

const HEADER = 'occurred_at,host,metric,value,unit,region,environment';
const row = (host: string, value: string) => `2026-12-07T03:00:00Z,${host},cpu_utilization,${value},percent,local,test`;
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');

/** A bucket, a stream and an idempotency table of this test's own. */
async function fresh() {
  const bucket = `drop-${randomUUID().slice(0, 8)}`;
  await ensureBucket(s3, bucket);
  const streamName = await kinesisLocal.newStream(1);
  const tableName = `idempotency-${randomUUID().slice(0, 8)}`;
  await ensureIdempotencyTable(dynamoLocal.ddb, tableName);
  return {
    bucket,
    streamName,
    target: { kinesis: kinesisLocal.kinesis, streamName, registry },
    store: { ddb: dynamoLocal.ddb, tableName },
  };
}

/** Local sources with only the file drop (a fast local queue) on, not started. */
function dropSources(streamName: string, tableName: string, client: S3Client, log?: (line: string) => void) {
  return new LocalSources({
    kinesis: kinesisLocal.kinesis,
    ddb: dynamoLocal.ddb,
    s3: client,
    registry,
    streamName,
    idempotencyTable: tableName,
    collectorEveryMs: 0,
    collectorHosts: 1,
    agentEveryMs: 0,
    fileDropQueue: { visibilityTimeoutMs: 100, timeoutMs: 10_000, pollIntervalMs: 20 },
    ...(log ? { log } : {}),
  });
}

/** The real S3 client, except that reading `key` fails as an S3 outage would. */
function unreadable(key: string): S3Client {
  return {
    send: ((command: { input?: { Key?: string } }) =>
      command instanceof GetObjectCommand && command.input?.Key === key
        ? Promise.reject(
            Object.assign(new Error('injected: the object store is unavailable'), { name: 'ServiceUnavailable' }),
          )
        : s3.send(command as never)) as S3Client['send'],
  } as unknown as S3Client;
}

async function keys(bucket: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

async function text(bucket: string, key: string): Promise<string> {
  return (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString()) ?? '';
}

async function put(bucket: string, key: string, body: string): Promise<string> {
  return ((await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).ETag ?? '').replaceAll(
    '"',
    '',
  );
}

async function until(done: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An SQS message holding an S3 notification of one object, at its `receiveCount`-th receive. */
function message(id: string, bucket: string, key: string, eTag: string, receiveCount = 1): SQSRecord {
  const notification = {
    Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key, eTag } } }],
  };
  return {
    messageId: id,
    body: JSON.stringify(notification),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  } as unknown as SQSRecord;
}

const RETRY_REASON = (attempts: number) =>
  `the file could not be ingested in ${attempts} attempts (last error ServiceUnavailable: injected: the object store is unavailable); ` +
  'its notification went to the dead-letter queue: fix the cause, then copy the file to incoming/ again (rows already on the stream count once)';

describe('file drop behind the queue', () => {
  it('moves a file that fails three receives to failed/ with its reason and its notification to the DLQ; the other file of the batch is processed', async () => {
    // Prepare: the local S3 notifies the queue; reading bad.csv fails every time
    const { bucket, streamName, target, store } = await fresh();
    const queue = new LocalQueue({ visibilityTimeoutMs: 150, maxReceiveCount: 3 });
    // Objects created under incoming/: the bucket notification's filter in AWS.
    onS3Event = (e) => {
      const r = e.Records[0];
      if (r?.eventName.startsWith('ObjectCreated:') && r.s3.object.key.startsWith('incoming/')) {
        queue.send(JSON.stringify(e));
      }
    };
    const files: FileResult[] = [];
    const handler = fileDropHandler({
      s3: unreadable('incoming/bad.csv'),
      target,
      store,
      logger,
      maxReceiveCount: 3,
      onFile: (r) => files.push(r),
    });
    const invocations: { ids: string[]; counts: string[]; response?: SQSBatchResponse; error?: string }[] = [];
    const source = new QueueEventSource({
      queue,
      batchSize: 10,
      pollIntervalMs: 20,
      fn: async (event: SQSEvent) => {
        const seen = {
          ids: event.Records.map((r) => r.messageId),
          counts: event.Records.map((r) => r.attributes.ApproximateReceiveCount),
        };
        try {
          const response = await handler(event, localClock(10_000));
          invocations.push({ ...seen, response });
          return response;
        } catch (error) {
          invocations.push({ ...seen, error: (error as Error).name });
          throw error;
        }
      },
    });
    await put(bucket, 'incoming/good.csv', csv(row('web-1', '41'), row('web-2', '42')));
    await put(bucket, 'incoming/bad.csv', csv(row('web-3', '43')));
    await until(() => queue.depth().visible === 2, 'both notifications');
    const [goodId, badId] = queue.pending().map((m) => m.messageId);

    // Act
    source.start();
    await until(() => queue.deadLetters().length === 1, 'the dead letter');
    await source.stop();

    // Assess: one batch of both, then bad.csv alone twice; the response named only bad.csv
    expect(invocations).toEqual([
      { ids: [goodId, badId], counts: ['1', '1'], response: { batchItemFailures: [{ itemIdentifier: badId }] } },
      { ids: [badId], counts: ['2'], error: 'FullBatchFailureError' },
      { ids: [badId], counts: ['3'], error: 'FullBatchFailureError' },
    ]);
    expect(queue.deadLetters().map((m) => [m.messageId, m.receiveCount])).toEqual([[badId, 3]]);
    expect(queue.pending()).toEqual([]);
    // Assess: nothing lost: bad.csv kept under failed/ with the reason, good.csv processed
    expect(await keys(bucket)).toEqual(['failed/bad.csv', 'failed/bad.csv.errors.jsonl', 'processed/good.csv']);
    expect(await text(bucket, 'failed/bad.csv')).toBe(csv(row('web-3', '43')));
    expect(JSON.parse(await text(bucket, 'failed/bad.csv.errors.jsonl'))).toEqual({
      line: 0,
      field: 'file',
      reason: RETRY_REASON(3),
      row: '',
    });
    expect(files).toEqual([
      { key: 'incoming/good.csv', outcome: 'processed', produced: 2, rejected: 0 },
      { key: 'incoming/bad.csv', outcome: 'failed', produced: 0, rejected: 0, receives: 3 },
    ]);
    const hosts = (await readAll(kinesisLocal.kinesis, streamName, registry)).map(
      (e) => (e.event as { host: string }).host,
    );
    expect(hosts.sort()).toEqual(['web-1', 'web-2']);
  });

  it('answers a batch with exactly the ids of the messages that failed (a test event and a processed file are not among them)', async () => {
    // Prepare
    const { bucket, target, store } = await fresh();
    const good = await put(
      bucket,
      'incoming/good.jsonl',
      JSON.stringify({
        occurred_at: '2026-12-07T03:00:00Z',
        host: 'web-1',
        metric: 'm',
        value: 1,
        unit: 'u',
        region: 'r',
        environment: 'e',
      }),
    );
    const bad = await put(bucket, 'incoming/bad.csv', csv(row('web-1', '1')));
    const handler = fileDropHandler({ s3: unreadable('incoming/bad.csv'), target, store, logger, maxReceiveCount: 3 });
    const testEvent = {
      messageId: 'm-test',
      body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: bucket }),
      attributes: { ApproximateReceiveCount: '1' },
    } as unknown as SQSRecord;
    const junk = { ...testEvent, messageId: 'm-junk', body: 'not a notification' };
    const event = {
      Records: [
        message('m-good', bucket, 'incoming/good.jsonl', good),
        message('m-bad', bucket, 'incoming/bad.csv', bad),
        testEvent,
        junk,
      ],
    };

    // Act
    const response = await handler(event);

    // Assess: bad.csv has receives left, so it stays in incoming/ for the retry
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-bad', 'm-junk']);
    expect(response.batchItemFailures).toHaveLength(2);
    expect(await keys(bucket)).toEqual(['incoming/bad.csv', 'processed/good.jsonl']);
  });

  it('publishes FilesProcessed, RowsAccepted, RowsRejected and FilesFailed per invocation, a file once', async () => {
    // Prepare: a file with a bad row, a file of bad rows only, and a file at its last receive
    const { bucket, target, store } = await fresh();
    const emf = captureEmf('file-drop');
    const handler = fileDropHandler({
      s3: unreadable('incoming/broken.csv'),
      target,
      store,
      logger,
      maxReceiveCount: 3,
      metrics: emf.metrics,
      functionName: 'pulse-test-file-drop',
    });
    const mixed = await put(bucket, 'incoming/mixed.csv', csv(row('web-1', '1'), row('web-1', 'x'), row('web-2', '2')));
    const rejected = await put(bucket, 'incoming/rejected.csv', csv(row('web-1', 'x'), row('', '3')));
    const broken = await put(bucket, 'incoming/broken.csv', csv(row('web-1', '1')));
    const batch = (...records: SQSRecord[]) => ({ Records: records });

    // Act
    await handler(batch(message('m1', bucket, 'incoming/mixed.csv', mixed)));
    await handler(batch(message('m2', bucket, 'incoming/rejected.csv', rejected)));
    await expect(handler(batch(message('m3', bucket, 'incoming/broken.csv', broken, 3)))).rejects.toThrow(
      'All records failed processing',
    );
    await handler(batch(message('m1', bucket, 'incoming/mixed.csv', mixed))); // a duplicate notification
    emf.restore();

    // Assess
    const docs = emf.documents().filter((d) => FILE_DROP_EMF.processed in d);
    expect(docs.map((d) => [d.FilesProcessed, d.RowsAccepted, d.RowsRejected, d.FilesFailed])).toEqual([
      [1, 2, 1, 0],
      [1, 0, 2, 0],
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ]);
    for (const d of docs) {
      expect(dimensionsOf(d)).toEqual([['function_name', 'service']]);
      expect(d).toMatchObject({ service: 'file-drop', function_name: 'pulse-test-file-drop' });
      expect(d._aws.CloudWatchMetrics[0]?.Metrics).toEqual(
        Object.values(FILE_DROP_EMF).map((Name) => ({ Name, Unit: 'Count' })),
      );
    }
    expect(await keys(bucket)).toEqual([
      'failed/broken.csv',
      'failed/broken.csv.errors.jsonl',
      'failed/mixed.csv.errors.jsonl',
      'failed/rejected.csv.errors.jsonl',
      'processed/mixed.csv',
      'processed/rejected.csv',
    ]);
  });
});

describe('file drop: the invocation in its logs', () => {
  afterEach(() => vi.restoreAllMocks());

  it("each file's line carries the Lambda request id, the message id, the key and the version", async () => {
    // Prepare
    const { bucket, target, store } = await fresh();
    const logs = captureLogs('file-drop');
    const handler = fileDropHandler({ s3, target, store, logger: logs.logger, maxReceiveCount: 3 });
    const eTag = await put(bucket, 'incoming/traced.csv', csv(row('web-1', '1')));
    // Act
    await handler(
      { Records: [message('m-traced', bucket, 'incoming/traced.csv', eTag)] },
      fakeContext('lambda-request-1', 'pulse-test-file-drop'),
    );
    logs.restore();
    // Assess
    expect(logs.lines().filter((l) => l.message === 'file ingested')).toEqual([
      expect.objectContaining({
        function_request_id: 'lambda-request-1',
        function_name: 'pulse-test-file-drop',
        messageId: 'm-traced',
        key: 'incoming/traced.csv',
        version: eTag,
        produced: 1,
      }),
    ]);
  });
});

describe('local mode: the file drop queue in LocalSources', () => {
  it('logs the file moved to failed/ and its notification going to the dead-letter queue, and counts it', async () => {
    // Prepare
    const { bucket, target, store } = await fresh();
    const lines: string[] = [];
    const sources = dropSources(target.streamName, store.tableName, unreadable('incoming/bad.csv'), (line) =>
      lines.push(line),
    );
    onS3Event = (e) => sources.onS3Event(e);
    await sources.start();

    // Act
    await put(bucket, 'incoming/ok.csv', csv(row('web-1', '1')));
    await put(bucket, 'incoming/bad.csv', csv(row('web-1', '1')));
    await until(() => sources.dropQueue.deadLetters().length === 1, 'the dead letter');
    const counts = await sources.stop();

    // Assess
    expect(lines.filter((l) => l.startsWith('file drop: '))).toEqual([
      'file drop: incoming/ok.csv → processed (1 events, 0 rejected)',
      'file drop: incoming/bad.csv failed 3 of 3 receives → failed/ with the reason; its notification goes to the dead-letter queue',
      'file drop: the notification of incoming/bad.csv went to the dead-letter queue after 3 receives (the file is under failed/ with the reason)',
    ]);
    expect([sources.dropDeadLetters(), counts.file_drop]).toEqual([1, 1]);
    expect(await keys(bucket)).toEqual(['failed/bad.csv', 'failed/bad.csv.errors.jsonl', 'processed/ok.csv']);
  });

  it('queues again at start the files an earlier run left in incoming/, once each, keys with spaces included', async () => {
    // Prepare: two files dropped while nothing listened (no notification)
    const { bucket, target, store, streamName } = await fresh();
    onS3Event = () => {};
    await put(bucket, 'incoming/left over.csv', csv(row('left-1', '1'), row('left-2', '2')));
    await put(bucket, 'incoming/b.csv', csv(row('left-3', '3')));
    const sources = dropSources(target.streamName, store.tableName, s3);
    await sources.start();

    // Act
    const queued = await sources.requeueIncoming(bucket);
    await until(() => sources.counts.file_drop === 3, 'the files ingested');
    const counts = await sources.stop();

    // Assess
    const hosts = (await readAll(kinesisLocal.kinesis, streamName, registry)).map(
      (e) => (e.event as { host: string }).host,
    );
    expect([queued, counts.file_drop, hosts.sort()]).toEqual([2, 3, ['left-1', 'left-2', 'left-3']]);
    expect(await keys(bucket)).toEqual(['processed/b.csv', 'processed/left over.csv']);
  });
});
