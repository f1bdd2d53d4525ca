import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Event, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createS3Client } from '#core/clients/s3.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import type { LocalServer } from '#local/kinesis-server.js';
import { ensureBucket, startS3Server } from '#local/s3-server.js';
import { LocalSources } from '#local/sources.js';
import { ensureIdempotencyTable } from '#local/tables.js';
import { collectorConfig, tickEvents } from '#core/sources/collector.js';
import type { StreamTarget } from '#core/sources/emit.js';
import type { FileResult } from '#core/sources/file-drop.js';
import { type FileDropDeps, fileDropHandler } from '#handlers/lib/file-drop.js';
import { SLO_EMF } from '#core/metrics/names.js';
import { collectorHandler, ingestHandler, type IngestEvent } from '#handlers/lib/sources.js';
import { COLLECTOR_EMF, INGEST_EMF } from '#core/metrics/names.js';
import { captureEmf, dimensionsOf } from '#test/helpers/emf.js';
import { captureLogs, fakeContext } from '#test/helpers/logs.js';
import { useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { faultyKinesis, readAll, useLocalKinesis } from '#test/helpers/local-kinesis.js';

const registry = SchemaRegistry.load();
const kinesisLocal = useLocalKinesis();
const dynamoLocal = useLocalDynamo();
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
let s3Server: LocalServer;
let s3: S3Client;

beforeAll(async () => {
  s3Server = await startS3Server({ directory: join(mkdtempSync(join(tmpdir(), 'pulse-sources-')), 's3') });
  s3 = createS3Client({ endpoint: s3Server.endpoint });
});
afterAll(async () => {
  s3?.destroy();
  await s3Server?.stop();
});

/** A fresh stream and idempotency table. */
async function fresh(kinesis: Pick<KinesisClient, 'send'> = kinesisLocal.kinesis) {
  const streamName = await kinesisLocal.newStream(2);
  const tableName = `idempotency-${randomUUID().slice(0, 8)}`;
  await ensureIdempotencyTable(dynamoLocal.ddb, tableName);
  const target: StreamTarget = { kinesis, streamName, registry };
  return { target, store: { ddb: dynamoLocal.ddb, tableName }, streamName };
}

const events = (streamName: string) => readAll(kinesisLocal.kinesis, streamName, registry);

describe('scheduled collector', () => {
  it('produces 10 servers × 5 metrics per tick with identities fixed by the tick', async () => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const handler = collectorHandler({ target, store, config: collectorConfig(), logger });
    const time = '2026-11-22T10:05:00Z';

    // Act
    const result = await handler({ time });

    // Assess
    const got = await events(streamName);
    expect(result).toMatchObject({ tick: '2026-11-22T10:05:00.000Z', produced: 50 });
    expect(got).toHaveLength(50);
    expect(new Set(got.map((e) => e.event.producer_id))).toEqual(new Set([result.producerId]));
    expect(got.map((e) => e.event.producer_seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(new Set(got.map((e) => (e.event as { host: string }).host)).size).toBe(10);
    expect(got.every((e) => (e.event as { source?: string }).source === 'collector')).toBe(true);
    expect(got.every((e) => e.event.occurred_at.getTime() === Date.parse(time))).toBe(true);
    // The values are a function of the tick: the same tick computed again is identical.
    expect(tickEvents(collectorConfig(), new Date(time))).toEqual(tickEvents(collectorConfig(), new Date(time)));
  });

  it('produces nothing new when the same tick is delivered again', async () => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const handler = collectorHandler({ target, store, config: collectorConfig({ hosts: 3 }), logger });
    const first = await handler({ time: '2026-11-22T10:05:00Z', id: 'a' });

    // Act
    const again = await handler({ time: '2026-11-22T10:05:00Z', id: 'b' });
    await handler({ time: '2026-11-22T10:10:00Z' });

    // Assess
    expect(again).toEqual(first);
    expect(await events(streamName)).toHaveLength(30);
  });

  it('refuses a collector config out of range with the setting named', () => {
    // Act / Assess
    expect(() => collectorConfig({ hosts: 0 })).toThrow('collector hosts must be an integer from 1 to 999, got 0');
  });
});

const metric = (i: number) => ({
  occurred_at: '2026-11-22T10:00:00Z',
  host: `web-${i % 3}`,
  metric: 'cpu_utilization',
  value: 10 + i,
  unit: 'percent',
  region: 'eu-west-1',
  environment: 'production',
});
const post = (body: unknown, headers: Record<string, string> = {}): IngestEvent => ({
  body: typeof body === 'string' ? body : JSON.stringify(body),
  headers,
  isBase64Encoded: false,
});

describe('HTTP ingest API', () => {
  it('answers 202 with accepted and rejected counts and per-event errors; produces the valid ones', async () => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const handler = ingestHandler({ target, store, logger });

    // Act
    const res = await handler(post({ events: [metric(1), { ...metric(2), value: 'x' }, metric(3), 'no'] }));

    // Assess
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body)).toEqual({
      accepted: 2,
      rejected: 2,
      errors: [
        { index: 1, field: 'value', reason: 'value must be a number' },
        { index: 3, field: 'event', reason: 'each event must be a JSON object' },
      ],
    });
    const got = await events(streamName);
    expect(got.map((e) => (e.event as { value: number }).value).sort()).toEqual([11, 13]);
    expect(got.every((e) => (e.event as { source?: string }).source === 'ingest-api')).toBe(true);
  });

  it.each([
    ['{"events": [', 400, 'body is not valid JSON: send {"events": [ ... ]}'],
    ['[1,2]', 400, 'body must be a JSON object with an "events" array: send {"events": [ ... ]}'],
    ['{"events": []}', 400, '"events" is empty: send at least one event'],
    [
      JSON.stringify({ events: Array.from({ length: 6 }, (_, i) => metric(i)) }),
      413,
      '6 events is above the limit of 5 per request: split them',
    ],
    [
      JSON.stringify({ events: [metric(1)], pad: 'x'.repeat(2_000) }),
      413,
      /^body is \d+ bytes, above the 2000-byte limit/,
    ],
  ])('answers %s with %i', async (body, status, error) => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const handler = ingestHandler({ target, store, logger, limits: { maxEvents: 5, maxBodyBytes: 2_000 } });

    // Act
    const res = await handler(post(body));

    // Assess
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body).error).toMatch(error);
    expect(await events(streamName)).toHaveLength(0);
  });

  it('makes a retried request with the same Idempotency-Key a no-op with the same answer', async () => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const handler = ingestHandler({ target, store, logger });
    const request = post({ events: [metric(1), metric(2)] }, { 'Idempotency-Key': 'order-42' });
    const first = await handler(request);

    // Act
    const second = await handler({ ...request, headers: { 'idempotency-key': 'order-42' } });

    // Assess
    expect(second).toEqual(first);
    expect(JSON.parse(second.body)).toMatchObject({ accepted: 2 });
    expect(await events(streamName)).toHaveLength(2);
  });

  it('scopes an Idempotency-Key to its caller: another principal with the same key and body is its own request', async () => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const handler = ingestHandler({ target, store, logger });
    const as = (userArn: string) => ({
      ...post({ events: [metric(1), metric(2)] }, { 'Idempotency-Key': 'batch-1' }),
      requestContext: { identity: { userArn } } as never,
    });

    // Act
    const alice = await handler(as('arn:aws:iam::111122223333:user/alice'));
    const bob = await handler(as('arn:aws:iam::111122223333:user/bob'));
    const aliceAgain = await handler(as('arn:aws:iam::111122223333:user/alice'));

    // Assess: two units of two events each; alice's retry is a no-op
    const got = await events(streamName);
    expect([alice.statusCode, bob.statusCode, aliceAgain.body]).toEqual([202, 202, alice.body]);
    expect(got).toHaveLength(4);
    expect(new Set(got.map((e) => e.event.producer_id)).size).toBe(2);
  });

  it('answers 422 when a key is reused with a different body, and 400 for an over-long key', async () => {
    // Prepare
    const { target, store } = await fresh();
    const handler = ingestHandler({ target, store, logger });
    await handler(post({ events: [metric(1)] }, { 'Idempotency-Key': 'k1' }));

    // Act
    const reused = await handler(post({ events: [metric(2)] }, { 'Idempotency-Key': 'k1' }));
    const long = await handler(post({ events: [metric(2)] }, { 'Idempotency-Key': 'k'.repeat(256) }));

    // Assess
    expect([reused.statusCode, JSON.parse(reused.body).error]).toEqual([
      422,
      'this Idempotency-Key was already used with a different body: use a new key for new events',
    ]);
    expect([long.statusCode, JSON.parse(long.body).error]).toEqual([400, 'Idempotency-Key must be 1-255 characters']);
  });

  it('answers 409 while the same key is in progress', async () => {
    // Prepare: PutRecords waits until released, so the first request stays in progress.
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let reached: () => void = () => {};
    const atPut = new Promise<void>((r) => (reached = r));
    const slow: Pick<KinesisClient, 'send'> = {
      send: (async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'PutRecordsCommand') {
          reached();
          await gate;
        }
        return kinesisLocal.kinesis.send(command as never);
      }) as KinesisClient['send'],
    };
    const { target, store, streamName } = await fresh(slow);
    const handler = ingestHandler({ target, store, logger });
    const request = post({ events: [metric(1)] }, { 'Idempotency-Key': 'k2' });
    const first = handler(request);
    await atPut; // its in-progress record is stored by now

    // Act
    const second = await handler(request);
    release();

    // Assess
    expect([second.statusCode, JSON.parse(second.body).error]).toEqual([
      409,
      'a request with this Idempotency-Key is still in progress: retry it in a few seconds',
    ]);
    expect((await first).statusCode).toBe(202);
    expect(await events(streamName)).toHaveLength(1);
  });

  it('lets a retry through once the in-progress request outlived its Lambda (a crash does not block the key)', async () => {
    // Prepare: the first request hangs as if its Lambda died (before its own deadline
    // starts counting), with 1.5 s left on its clock.
    let reached: () => void = () => {};
    const atHang = new Promise<void>((r) => (reached = r));
    const hang: Pick<KinesisClient, 'send'> = {
      send: (async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'ListShardsCommand' && !recovered) {
          reached();
          await new Promise(() => {});
        }
        return kinesisLocal.kinesis.send(command as never);
      }) as KinesisClient['send'],
    };
    let recovered = false;
    const { target, store, streamName } = await fresh(hang);
    const handler = ingestHandler({ target, store, logger });
    const request = post({ events: [metric(1)] }, { 'Idempotency-Key': 'k4' });
    const started = Date.now();
    void handler(request, { getRemainingTimeInMillis: () => 1_500 });
    await atHang; // its in-progress record is stored by now
    const during = await handler(request);
    await new Promise((r) => setTimeout(r, Math.max(0, started + 1_700 - Date.now())));
    recovered = true;

    // Act
    const after = await handler(request);

    // Assess
    expect(during.statusCode).toBe(409);
    expect(after.statusCode).toBe(202);
    expect(await events(streamName)).toHaveLength(1);
  });

  it('answers 503 when one shard does not take its events in time; the retry repeats the same identities, once', async () => {
    // Prepare: every entry for host web-1 is throttled while `down`; the other hosts get through.
    let down = true;
    const flaky = faultyKinesis(kinesisLocal.kinesis, (_call, _i, entry) =>
      down && entry.PartitionKey === 'web-1' ? 'throttle' : 'ok',
    );
    const { target, store, streamName } = await fresh(flaky);
    const handler = ingestHandler({
      target: { ...target, retry: { baseBackoffMs: 5, maxBackoffMs: 20 } },
      store,
      logger,
    });
    const request = post({ events: [1, 2, 3, 4, 5, 6].map(metric) }, { 'Idempotency-Key': 'k3' });
    const shortLambda = { getRemainingTimeInMillis: () => 3_600 }; // 600 ms of work, 3 s kept back

    // Act
    const failed = await handler(request, shortLambda);
    const afterFailure = await events(streamName);
    down = false;
    const retried = await handler(request, shortLambda);

    // Assess
    expect([failed.statusCode, JSON.parse(failed.body).error]).toEqual([
      503,
      'the stream did not take all events in time: retry the request with the same Idempotency-Key',
    ]);
    expect(retried.statusCode).toBe(202);
    // web-1's events (values 11 and 14) missed the first attempt; the others arrived then.
    expect(afterFailure.map((e) => (e.event as { value: number }).value).sort()).toEqual([12, 13, 15, 16]);
    const all = await events(streamName);
    const identity = (e: (typeof all)[number]) => `${e.event.producer_id}/${e.event.producer_seq}`;
    // Every event of the retry carries the identity it had in the first attempt: 6 identities, 10 records.
    expect(all).toHaveLength(10);
    const byIdentity = new Map<string, number>();
    for (const e of all) {
      const value = (e.event as { value: number }).value;
      expect(byIdentity.get(identity(e)) ?? value).toBe(value);
      byIdentity.set(identity(e), value);
    }
    expect([...byIdentity.values()].sort()).toEqual([11, 12, 13, 14, 15, 16]);
  });

  it('answers a request without a key that could not be produced with 503 and how to retry safely', async () => {
    // Prepare
    const flaky = faultyKinesis(kinesisLocal.kinesis, () => 'throttle');
    const { target, store } = await fresh(flaky);
    const handler = ingestHandler({
      target: { ...target, retry: { baseBackoffMs: 5, maxBackoffMs: 20 } },
      store,
      logger,
    });

    // Act
    const res = await handler(post({ events: [metric(1)] }), { getRemainingTimeInMillis: () => 3_300 });

    // Assess
    expect([res.statusCode, JSON.parse(res.body).error]).toEqual([
      503,
      'the stream did not take all events in time: retry with an Idempotency-Key header, so a retry cannot count twice',
    ]);
  });
});

/** An S3 notification for one object, as S3 (and s3rver) sends it, in an SQS message as the queue delivers it. */
function notification(bucket: string, key: string, eTag: string): SQSEvent {
  const s3Event = {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), eTag } },
      },
    ],
  } as unknown as S3Event;
  return {
    Records: [
      {
        messageId: randomUUID(),
        body: JSON.stringify(s3Event),
        attributes: { ApproximateReceiveCount: '1' },
      },
    ],
  } as unknown as SQSEvent;
}

/** The file-drop handler, answering with the files of a batch (and failing when the batch reports a failure). */
function fileDrop(deps: Omit<FileDropDeps, 'maxReceiveCount'>) {
  const files: FileResult[] = [];
  const handler = fileDropHandler({ ...deps, maxReceiveCount: 3, onFile: (r) => files.push(r) });
  return async (event: SQSEvent): Promise<FileResult[]> => {
    files.length = 0;
    const response = await handler(event);
    expect(response).toEqual({ batchItemFailures: [] });
    return [...files];
  };
}

async function keys(bucket: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

async function text(bucket: string, key: string): Promise<string> {
  return (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString()) ?? '';
}

async function drop(bucket: string, key: string, body: string): Promise<string> {
  const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return (out.ETag ?? '').replaceAll('"', '');
}

describe('S3 file drop', () => {
  it('ingests a CSV, writes rejected rows with line and reason to failed/, moves the file to processed/', async () => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const bucket = `drop-${randomUUID().slice(0, 8)}`;
    await ensureBucket(s3, bucket);
    const csv = [
      'occurred_at,host,metric,value,unit,region,environment,tags.team',
      '2026-11-22T10:00:00Z,web-1,cpu_utilization,41.5,percent,eu-west-1,production,core',
      '2026-11-22T10:00:00Z,web-1,cpu_utilization,high,percent,eu-west-1,production,core',
      '2026-11-22T10:01:00Z,web-2,memory_usage,63,percent,eu-west-1,production,',
      '2026-11-22T10:01:00Z,,memory_usage,63,percent,eu-west-1,production,',
    ].join('\n');
    const eTag = await drop(bucket, 'incoming/day 1.csv', csv);
    const handler = fileDrop({ s3, target, store, logger });

    // Act
    const [result] = await handler(notification(bucket, 'incoming/day 1.csv', eTag));

    // Assess
    expect(result).toEqual({ key: 'incoming/day 1.csv', outcome: 'processed', produced: 2, rejected: 2 });
    expect(await keys(bucket)).toEqual(['failed/day 1.csv.errors.jsonl', 'processed/day 1.csv']);
    expect(
      (await text(bucket, 'failed/day 1.csv.errors.jsonl'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { line: 3, field: 'value', reason: 'value must be a number', row: csv.split('\n')[2] },
      { line: 5, field: 'host', reason: 'host is required', row: csv.split('\n')[4] },
    ]);
    expect(await text(bucket, 'processed/day 1.csv')).toBe(csv);
    const got = await events(streamName);
    expect(got.map((e) => [(e.event as { host: string }).host, (e.event as { tags: object }).tags]).sort()).toEqual([
      ['web-1', { team: 'core' }],
      ['web-2', {}],
    ]);
    expect(got.every((e) => (e.event as { source?: string }).source === 'file-drop')).toBe(true);
  });

  it('ingests JSON lines (metrics and logs) and ingests nothing twice on a duplicate notification', async () => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const bucket = `drop-${randomUUID().slice(0, 8)}`;
    await ensureBucket(s3, bucket);
    const lines = [
      JSON.stringify(metric(1)),
      '{not json',
      '',
      JSON.stringify({
        type: 'LogEvent',
        occurred_at: '2026-11-22T10:00:00Z',
        host: 'web-1',
        service: 'api',
        level: 'WARN',
        message: 'slow',
        region: 'r',
        environment: 'e',
      }),
    ].join('\n');
    const eTag = await drop(bucket, 'incoming/a/b.jsonl', lines);
    const handler = fileDrop({ s3, target, store, logger });
    const event = notification(bucket, 'incoming/a/b.jsonl', eTag);
    const first = await handler(event);

    // Act
    const again = await handler(event);

    // Assess
    expect(first).toEqual([{ key: 'incoming/a/b.jsonl', outcome: 'processed', produced: 2, rejected: 1 }]);
    expect(again).toEqual(first);
    expect((await events(streamName)).map((e) => e.type).sort()).toEqual(['LogEvent', 'MetricSample']);
    expect(JSON.parse(await text(bucket, 'failed/a/b.jsonl.errors.jsonl'))).toEqual({
      line: 2,
      field: 'event',
      reason: 'line is not valid JSON: write one JSON object per line',
      row: '{not json',
    });
  });

  it('keeps every good row around a broken CSV row, naming the broken one; keys with spaces and % move', async () => {
    // Prepare: 300 rows in one chunk, the 150th with a column too many. (CopySource is
    // URL-encoded as S3 wants; s3rver decodes it with decodeURI, so '+' and '#' fail only locally.)
    const { target, store, streamName } = await fresh();
    const bucket = `drop-${randomUUID().slice(0, 8)}`;
    await ensureBucket(s3, bucket);
    const row = (i: number) =>
      `2026-11-22T10:00:00Z,web-${i % 5},cpu_utilization,${i + 1},percent,eu-west-1,production`;
    const lines = ['occurred_at,host,metric,value,unit,region,environment'];
    for (let i = 0; i < 300; i++) lines.push(i === 149 ? `${row(i)},extra` : row(i));
    const key = 'incoming/q1 a%20 (1).csv';
    const eTag = await drop(bucket, key, lines.join('\n'));
    const handler = fileDrop({ s3, target, store, logger });

    // Act
    const [result] = await handler(notification(bucket, key, eTag));

    // Assess
    expect(result).toEqual({ key, outcome: 'processed', produced: 299, rejected: 1 });
    expect(await keys(bucket)).toEqual(['failed/q1 a%20 (1).csv.errors.jsonl', 'processed/q1 a%20 (1).csv']);
    expect(JSON.parse(await text(bucket, 'failed/q1 a%20 (1).csv.errors.jsonl'))).toEqual({
      line: 151,
      field: 'row',
      reason: 'the row does not have as many fields as the header: quote fields that contain commas',
      row: `${row(149)},extra`,
    });
    expect(await events(streamName)).toHaveLength(299);
  });

  // Lines 2-3: a good record with a quoted line break; 4: blank (or only spaces); 5: a bad row.
  // csv-parse alone reports a record's last line, counts a quoted CRLF twice, and leaves
  // the blank line and part of the line ending in the row's text.
  const header = 'occurred_at,host,metric,value,unit,region,environment';
  const good = '2026-11-22T10:00:00Z,web-1,cpu_utilization,41.5,percent,eu-west-1,"prod';
  it.each([
    [
      'LF, a bad record that spans lines too',
      '\n',
      '',
      '2026-11-22T10:00:00Z,web-2,cpu_utilization,high,percent,eu-west-1,"prod\nsecond line"',
      'value',
      'value must be a number',
    ],
    [
      'CRLF, a whitespace-only line',
      '\r\n',
      '   ',
      '2026-11-22T10:00:00Z,web-2,cpu_utilization,high,percent,eu-west-1,production',
      'value',
      'value must be a number',
    ],
    // (the parser skips this one while it reads, before the good record above reaches this code)
    [
      'CRLF, a row with a field too many',
      '\r\n',
      '',
      '2026-11-22T10:00:00Z,web-2,cpu_utilization,1,percent,eu-west-1,production,extra',
      'row',
      'the row does not have as many fields as the header: quote fields that contain commas',
    ],
  ])('names the line a CSV record starts on, and its row alone (%s)', async (_, eol, blank, bad, field, reason) => {
    // Prepare
    const { target, store } = await fresh();
    const bucket = `drop-${randomUUID().slice(0, 8)}`;
    await ensureBucket(s3, bucket);
    const csv = [header, good, 'second line"', blank, bad, ''].join(eol);
    const eTag = await drop(bucket, 'incoming/lines.csv', csv);
    const handler = fileDrop({ s3, target, store, logger });

    // Act
    const [result] = await handler(notification(bucket, 'incoming/lines.csv', eTag));

    // Assess
    expect(result).toEqual({ key: 'incoming/lines.csv', outcome: 'processed', produced: 1, rejected: 1 });
    expect(JSON.parse(await text(bucket, 'failed/lines.csv.errors.jsonl'))).toEqual({
      line: 5,
      field,
      reason,
      row: bad,
    });
  });

  it('removes the errors file of an earlier version when the corrected file is dropped again', async () => {
    // Prepare: a file with a bad row, processed; then the corrected rows under the same name
    const { target, store, streamName } = await fresh();
    const bucket = `drop-${randomUUID().slice(0, 8)}`;
    await ensureBucket(s3, bucket);
    const header = 'occurred_at,host,metric,value,unit,region,environment';
    const row = (value: string) => `2026-11-22T10:00:00Z,web-1,cpu_utilization,${value},percent,eu-west-1,production`;
    const handler = fileDrop({ s3, target, store, logger });
    const first = await drop(bucket, 'incoming/fix.csv', [header, row('high')].join('\n'));
    await handler(notification(bucket, 'incoming/fix.csv', first));
    expect(await keys(bucket)).toEqual(['failed/fix.csv.errors.jsonl', 'processed/fix.csv']);
    const corrected = await drop(bucket, 'incoming/fix.csv', [header, row('41')].join('\n'));

    // Act
    const [result] = await handler(notification(bucket, 'incoming/fix.csv', corrected));

    // Assess
    expect(result).toEqual({ key: 'incoming/fix.csv', outcome: 'processed', produced: 1, rejected: 0 });
    expect(await keys(bucket)).toEqual(['processed/fix.csv']);
    expect(await text(bucket, 'processed/fix.csv')).toBe([header, row('41')].join('\n'));
    expect(await events(streamName)).toHaveLength(1);
  });

  it('moves a file of another type to failed/ whole, with the reason', async () => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const bucket = `drop-${randomUUID().slice(0, 8)}`;
    await ensureBucket(s3, bucket);
    const eTag = await drop(bucket, 'incoming/report.xlsx', 'PK...');
    const handler = fileDrop({ s3, target, store, logger });

    // Act
    const [result] = await handler(notification(bucket, 'incoming/report.xlsx', eTag));

    // Assess
    expect(result).toMatchObject({ outcome: 'failed', produced: 0 });
    expect(await keys(bucket)).toEqual(['failed/report.xlsx', 'failed/report.xlsx.errors.jsonl']);
    expect(JSON.parse(await text(bucket, 'failed/report.xlsx.errors.jsonl'))).toMatchObject({
      line: 0,
      field: 'file',
      reason: 'unsupported file type: name it .csv (with a header row) or .jsonl (one JSON event per line)',
    });
    expect(await events(streamName)).toHaveLength(0);
  });

  it('ignores objects outside incoming/', async () => {
    // Prepare
    const { target, store } = await fresh();
    const handler = fileDrop({ s3, target, store, logger });

    // Act
    const [result] = await handler(notification('any', 'processed/x.csv', 'e'));

    // Assess
    expect(result).toEqual({ key: 'processed/x.csv', outcome: 'ignored', produced: 0, rejected: 0 });
  });
});

describe('sources: the data-loss SLO count (SloProduced)', () => {
  afterEach(() => vi.restoreAllMocks());
  const HOUR = 3_600_000;

  it('counts the events Kinesis accepted from a tick, stamped an hour after their minute; a repeated tick counts none', async () => {
    // Prepare
    const { target, store } = await fresh();
    const emf = captureEmf('collector');
    const handler = collectorHandler({
      target,
      store,
      config: collectorConfig({ hosts: 3 }),
      logger,
      metrics: emf.metrics,
      functionName: 'pulse-test-collector',
    });
    const before = Math.floor(Date.now() / 60_000) * 60_000;
    // Act
    await handler({ time: '2026-11-22T10:05:00Z' });
    await handler({ time: '2026-11-22T10:05:00Z' });
    emf.restore();
    // Assess
    const docs = emf.documents().filter((d) => SLO_EMF.produced in d);
    expect(docs.map((d) => d.SloProduced).reduce((a, n) => Number(a) + Number(n), 0)).toBe(15);
    for (const d of docs) {
      expect(dimensionsOf(d)).toEqual([['function_name', 'service']]);
      expect(d).toMatchObject({ service: 'collector', function_name: 'pulse-test-collector' });
      expect(d._aws.Timestamp - HOUR).toBeGreaterThanOrEqual(before);
      expect(d._aws.Timestamp % 60_000).toBe(0);
    }
  });

  it('counts what reached the stream even when the request fails (503), and the retry adds its own records', async () => {
    // Prepare: web-1's entries are throttled while `down` (the events of the others are on the stream)
    let down = true;
    const flaky = faultyKinesis(kinesisLocal.kinesis, (_call, _i, entry) =>
      down && entry.PartitionKey === 'web-1' ? 'throttle' : 'ok',
    );
    const { target, store, streamName } = await fresh(flaky);
    const emf = captureEmf('ingest-api');
    const handler = ingestHandler({
      target: { ...target, retry: { baseBackoffMs: 5, maxBackoffMs: 20 } },
      store,
      logger,
      metrics: emf.metrics,
    });
    const request = post({ events: [1, 2, 3, 4, 5, 6].map(metric) }, { 'Idempotency-Key': 'slo-1' });
    const shortLambda = { getRemainingTimeInMillis: () => 3_600 };
    // Act
    const failed = await handler(request, shortLambda);
    const slo = () => emf.documents().filter((d) => SLO_EMF.produced in d);
    const afterFailure = slo().reduce((a, d) => a + Number(d.SloProduced), 0);
    down = false;
    await handler(request, shortLambda);
    emf.restore();
    // Assess: every count is an event on the stream, retries' repeats included (the hot path and the lake see them too)
    expect(failed.statusCode).toBe(503);
    expect(afterFailure).toBe(4);
    expect(slo().reduce((a, d) => a + Number(d.SloProduced), 0)).toBe((await events(streamName)).length);
  });
});

describe('sources: their own counts and the invocation in their logs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('collector: Ticks and EventsProduced for a tick collected, none for its replay; lines carry the request id and the tick', async () => {
    // Prepare
    const { target, store } = await fresh();
    const emf = captureEmf('collector');
    const logs = captureLogs('collector');
    const handler = collectorHandler({
      target,
      store,
      config: collectorConfig({ hosts: 3 }),
      logger: logs.logger,
      metrics: emf.metrics,
      functionName: 'pulse-test-collector',
    });
    const time = '2026-11-22T10:05:00Z';
    // Act
    await handler({ time }, fakeContext('lambda-request-1', 'pulse-test-collector'));
    await handler({ time }, fakeContext('lambda-request-2', 'pulse-test-collector'));
    logs.restore();
    emf.restore();
    // Assess: 3 hosts × 5 metrics once
    const counts = emf.documents().filter((d) => COLLECTOR_EMF.ticks in d);
    expect(counts.map((d) => [d.Ticks, d.EventsProduced])).toEqual([[1, 15]]);
    for (const d of counts) {
      expect(dimensionsOf(d)).toEqual([['function_name', 'service']]);
      expect(d).toMatchObject({ service: 'collector', function_name: 'pulse-test-collector' });
    }
    const lines = logs.lines().filter((l) => l.message === 'tick collected');
    expect(lines.map((l) => [l.function_request_id, l.correlation_id, l.function_name])).toEqual([
      ['lambda-request-1', time, 'pulse-test-collector'],
      ['lambda-request-2', time, 'pulse-test-collector'],
    ]);
  });

  it('ingest: RequestsOk, RequestsClientError, RequestsServerError, EventsAccepted and EventsRejected per request; lines carry both request ids', async () => {
    // Prepare: web-1's entries are throttled (a 503), and a request with a bad event and a malformed one
    const flaky = faultyKinesis(kinesisLocal.kinesis, (_call, _i, entry) =>
      entry.PartitionKey === 'web-1' ? 'throttle' : 'ok',
    );
    const { target, store } = await fresh(flaky);
    const emf = captureEmf('ingest-api');
    const logs = captureLogs('ingest-api');
    const handler = ingestHandler({
      target: { ...target, retry: { baseBackoffMs: 5, maxBackoffMs: 20 } },
      store,
      logger: logs.logger,
      metrics: emf.metrics,
      functionName: 'pulse-test-ingest',
    });
    const withId = (event: IngestEvent, requestId: string) =>
      ({ ...event, requestContext: { requestId } }) as IngestEvent;
    const shortLambda = (id: string) => fakeContext(id, 'pulse-test-ingest', 3_600);
    // Act
    const mixed = await handler(
      withId(post({ events: [metric(0), metric(3), { ...metric(6), value: 'high' }] }), 'api-1'),
      shortLambda('lambda-1'),
    );
    const malformed = await handler(withId(post('{not json'), 'api-2'), shortLambda('lambda-2'));
    const throttled = await handler(withId(post({ events: [metric(1)] }), 'api-3'), shortLambda('lambda-3'));
    logs.restore();
    emf.restore();
    // Assess
    expect([mixed.statusCode, malformed.statusCode, throttled.statusCode]).toEqual([202, 400, 503]);
    const counts = emf.documents().filter((d) => INGEST_EMF.ok in d);
    expect(
      counts.map((d) => [
        d.RequestsOk,
        d.RequestsClientError,
        d.RequestsServerError,
        d.EventsAccepted,
        d.EventsRejected,
      ]),
    ).toEqual([
      [1, 0, 0, 2, 1],
      [0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0],
    ]);
    for (const d of counts) {
      expect(dimensionsOf(d)).toEqual([['function_name', 'service']]);
      expect(d).toMatchObject({ service: 'ingest-api', function_name: 'pulse-test-ingest' });
    }
    const lines = logs.lines().filter((l) => l.message === 'ingest request');
    expect(lines.map((l) => [l.function_request_id, l.correlation_id, l.statusCode])).toEqual([
      ['lambda-1', 'api-1', 202],
      ['lambda-2', 'api-2', 400],
      ['lambda-3', 'api-3', 503],
    ]);
  });
});

describe('local ingest server', () => {
  /** Local sources of a fresh stream with only the ingest API on, started. */
  async function ingestServer(): Promise<LocalSources> {
    const { target, store } = await fresh();
    const sources = new LocalSources({
      kinesis: kinesisLocal.kinesis,
      ddb: dynamoLocal.ddb,
      s3,
      registry,
      streamName: target.streamName,
      idempotencyTable: store.tableName,
      collectorEveryMs: 0,
      collectorHosts: 1,
      ingestPort: 0,
      agentEveryMs: 0,
    });
    await sources.start();
    return sources;
  }

  it('answers 413 above 1 MiB with the size, survives a client that hangs up, and 404/405 elsewhere', async () => {
    // Prepare
    const sources = await ingestServer();
    const url = new URL(sources.ingestUrl as string);
    try {
      // Act: a body over the limit; a request cut off mid-body; then ordinary requests
      const json = { 'content-type': 'application/json' };
      const big = await fetch(url, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ events: [], pad: 'x'.repeat(1_100_000) }),
      });
      await new Promise<void>((resolve) => {
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: json });
        req.on('error', () => resolve());
        req.write('{"events": [');
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
      const after = await fetch(url, { method: 'POST', headers: json, body: JSON.stringify({ events: [metric(1)] }) });
      const elsewhere = await fetch(new URL('/v2/things', url), { method: 'POST', body: '{}' });
      const get = await fetch(url);

      // Assess
      expect([big.status, (await big.json()).error]).toEqual([
        413,
        'body is 1100022 bytes, above the 1048576-byte limit: split the events into smaller requests',
      ]);
      expect([after.status, await after.json()]).toEqual([202, { accepted: 1, rejected: 0, errors: [] }]);
      expect(elsewhere.status).toBe(404);
      expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
      expect(sources.counts.ingest_api).toBe(1);
    } finally {
      await sources.stop();
    }
  });

  it('refuses what a web page could send: any Origin (403), and a body that is not application/json (415)', async () => {
    // Prepare
    const sources = await ingestServer();
    const url = sources.ingestUrl as string;
    const body = JSON.stringify({ events: [metric(1)] });
    try {
      // Act: a cross-origin POST as a page would send it; a form's text/plain; no type at all
      const fromPage = await fetch(url, {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        body,
      });
      const form = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      const untyped = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(url);
        const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST' }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });

      // Assess: nothing reached the stream
      expect([fromPage.status, (await fromPage.json()).error]).toEqual([
        403,
        'requests from web pages are refused (Origin https://evil.example): send from a program, not a browser',
      ]);
      expect([form.status, (await form.json()).error]).toEqual([
        415,
        "Content-Type must be application/json, got 'text/plain'",
      ]);
      expect([untyped.status, JSON.parse(untyped.body).error]).toEqual([
        415,
        "Content-Type must be application/json, got ''",
      ]);
      expect(sources.counts.ingest_api).toBe(0);
    } finally {
      await sources.stop();
    }
  });
});
