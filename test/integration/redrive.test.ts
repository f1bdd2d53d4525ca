import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '#core/clients/s3.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { S3FailureDestination } from '#local/failure-destination.js';
import type { LocalServer } from '#local/kinesis-server.js';
import { ensureBucket, startS3Server } from '#local/s3-server.js';
import { rebuild } from '#core/ops/rebuild.js';
import { redrive } from '#core/ops/redrive.js';
import { Producer } from '#core/produce/producer.js';
import { WindowReader } from '#core/projections/window-reader.js';
import { windowingConfig } from '#core/windows/config.js';
import { metricBody } from '#test/helpers/events.js';
import { hotPathFunction } from '#test/helpers/hot-path-harness.js';
import { useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';

const registry = SchemaRegistry.load();
const config = windowingConfig();
const kinesis = useLocalKinesis();
const dynamo = useLocalDynamo();
let s3Server: LocalServer;
let s3: S3Client;

beforeAll(async () => {
  s3Server = await startS3Server({ directory: join(mkdtempSync(join(tmpdir(), 'pulse-redrive-')), 's3') });
  s3 = createS3Client({ endpoint: s3Server.endpoint });
});
afterAll(async () => {
  s3?.destroy();
  await s3Server?.stop();
});

describe('redrive', () => {
  it('makes the batches the hot path gave up on count exactly (partial effects included), then removes them', async () => {
    // Prepare: the third batch fails for good after two of its writes landed
    const stream = await kinesis.newStream(1);
    const live = await dynamo.newTable();
    const bucket = 'failures';
    await ensureBucket(s3, bucket);
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 1_800_000;
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry, lingerMs: 1 });
    for (let i = 0; i < 300; i++) {
      await producer.put(
        'MetricSample',
        metricBody({ host: `server-00${(i % 4) + 1}`, value: i, occurred_at: new Date(base + i * 3_000) }),
      );
      if (i % 20 === 19) await producer.flush(); // many small records, so batches are small
    }
    await producer.close();
    let invocation = 0;
    let writesInPoisoned = 0;
    const ddb: Pick<DynamoDBClient, 'send'> = {
      send: (async (command: unknown) => {
        if (invocation === 3 && command instanceof PutItemCommand && ++writesInPoisoned > 2) {
          throw new Error('the function died');
        }
        return dynamo.ddb.send(command as never);
      }) as never,
    };
    const { fn } = hotPathFunction({ ddb, tableName: live, registry, config });
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: (event) => {
        invocation++;
        return fn(event);
      },
      onFailure: new S3FailureDestination(s3, bucket, 'hot-path', `arn:aws:kinesis:us-east-1:0:stream/${stream}`),
      batchSize: 3,
      retryAttempts: 0,
      bisectBatchOnError: false,
    }).drain();
    const reader = new WindowReader(dynamo.ddb, live, config);
    const before = (await reader.countWindowed(60_000)).events;

    // Act
    const result = await redrive({
      s3,
      bucket,
      prefix: 'aws/lambda/hot-path/',
      kinesis: kinesis.kinesis,
      streamName: stream,
      ddb: dynamo.ddb,
      liveTable: live,
      freshTable: await dynamo.newTable(),
      registry,
      config,
    });

    // Assess
    expect(before).toBeLessThan(300); // the failed batch's events were missing (some half-applied)
    expect(result).toMatchObject({ objects: 1, records: 3, events: 60 });
    expect(result.windowsRepaired).toBeGreaterThan(0);
    expect((await reader.countWindowed(60_000)).events).toBe(300);
    const check = await rebuild({
      kinesis: kinesis.kinesis,
      streamName: stream,
      ddb: dynamo.ddb,
      liveTable: live,
      freshTable: await dynamo.newTable(),
      registry,
      config,
      from: base - 3_600_000,
      to: base + 7_200_000,
    });
    expect(check.differing).toEqual([]);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).toEqual([]);
  }, 300_000);
});
