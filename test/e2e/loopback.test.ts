import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '../../core/contract/registry.js';
import { LocalPipeline } from '../../core/local/pipeline.js';
import { listeningOf } from '../helpers/listening.js';

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
      const dynamoPid = Number(readFileSync(join(dataDir, 'dynamodb-local.pid'), 'utf8'));

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
});
