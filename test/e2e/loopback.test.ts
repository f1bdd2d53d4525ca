import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { LocalPipeline } from '#local/pipeline.js';
import { listeningOf } from '#test/helpers/listening.js';

const LOOPBACK = new Set(['127.0.0.1', '::ffff:127.0.0.1', '::1']);

describe('local servers on loopback only', () => {
  it('listens on no address but loopback while the pipeline runs, DynamoDB Local included', async () => {
    // Prepare: the whole pipeline, its ingest API and dashboard
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-loopback-'));
    const pipeline = await LocalPipeline.create({
      registry: SchemaRegistry.load(),
      dataDir,
      hosts: 2,
      rate: 1_000,
      maxEvents: 100,
      shards: 1,
      backfillMs: 0,
      dashboardPort: 0,
      sources: { ingestPort: 0, agentEveryMs: 0 },
    });
    try {
      pipeline.run();
      await pipeline.producerDone();
      const endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as Record<string, string>;
      const dynamoPid = (JSON.parse(readFileSync(join(dataDir, 'dynamodb-local.pid'), 'utf8')) as { pid: number }).pid;

      // Act
      const sockets = listeningOf([process.pid, dynamoPid]);

      // Assess: DynamoDB Local's port is among them, and every socket is on loopback
      const dynamoPort = Number(new URL(endpoints.dynamodb as string).port);
      expect(sockets.filter((s) => s.pid === dynamoPid).map((s) => s.port)).toContain(dynamoPort);
      expect(sockets.length).toBeGreaterThanOrEqual(5); // kinesis, dynamodb, s3, ingest, dashboard
      expect(sockets.filter((s) => !LOOPBACK.has(s.address))).toEqual([]);
    } finally {
      await pipeline.close();
    }
  });

  it('serves any AWS tool with the credentials endpoints.json names: the window table under keys the pipeline does not use', async () => {
    // Prepare: a pipeline that has windowed some events
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-any-tool-'));
    const pipeline = await LocalPipeline.create({
      registry: SchemaRegistry.load(),
      dataDir,
      hosts: 2,
      rate: 1_000,
      maxEvents: 120,
      shards: 1,
      backfillMs: 0,
      flushIntervalSeconds: 0,
    });
    try {
      pipeline.run();
      await pipeline.producerDone();
      const e = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as {
        kinesis: string;
        dynamodb: string;
        s3: string;
        stream: string;
        windowTable: string;
        lakeBucket: string;
        credentials: Record<
          'kinesis' | 'dynamodb' | 's3',
          { accessKeyId: string; secretAccessKey: string; region: string }
        >;
      };
      // DynamoDB Local takes any key of letters and digits (its own rule since 2.0)
      const other = { accessKeyId: 'SomeoneElse2', secretAccessKey: 'x' };
      const ddb = new DynamoDBClient({ endpoint: e.dynamodb, region: 'eu-west-1', credentials: other });
      const kinesis = new KinesisClient({
        endpoint: e.kinesis,
        region: e.credentials.kinesis.region,
        credentials: other,
        requestHandler: new NodeHttpHandler(),
      });
      const s3 = new S3Client({
        endpoint: e.s3,
        region: e.credentials.s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: e.credentials.s3.accessKeyId, secretAccessKey: e.credentials.s3.secretAccessKey },
      });
      try {
        // Act: what `aws dynamodb scan`, `aws kinesis list-streams` and `aws s3 ls` would ask
        let items = 0;
        for (let i = 0; i < 100 && items === 0; i++) {
          items = (await ddb.send(new ScanCommand({ TableName: e.windowTable, Select: 'COUNT' }))).Count ?? 0;
          if (items === 0) await new Promise((r) => setTimeout(r, 200));
        }
        const streams = (await kinesis.send(new ListStreamsCommand({}))).StreamNames;
        const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);

        // Assess
        expect(e.credentials).toEqual({
          kinesis: { accessKeyId: 'any', secretAccessKey: 'any', region: 'us-east-1' },
          dynamodb: { accessKeyId: 'any', secretAccessKey: 'any', region: 'any' },
          s3: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' },
        });
        expect(items).toBeGreaterThan(0);
        expect(streams).toContain(e.stream);
        expect(buckets).toContain(e.lakeBucket);
      } finally {
        ddb.destroy();
        kinesis.destroy();
        s3.destroy();
      }
    } finally {
      await pipeline.close();
    }
  });
});
