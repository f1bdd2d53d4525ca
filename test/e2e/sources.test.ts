import { mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3Client } from '#core/clients/s3.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { LakeQuery } from '#core/lake/lake-query.js';
import { LocalPipeline } from '#local/pipeline.js';
import { resourceNames } from '#core/resources.js';

const names = resourceNames('local');
const now = Date.now();
const at = (offsetMs: number) => new Date(Math.floor(now / 60_000) * 60_000 + offsetMs).toISOString();
const metric = (host: string, value: number) => ({
  occurred_at: at(0),
  host,
  metric: 'cpu_utilization',
  value,
  unit: 'percent',
  region: 'local',
  environment: 'test',
});

async function exists(s3: ReturnType<typeof createS3Client>, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('local mode with every source', () => {
  it('counts events from the fleet, collector, host agent, ingest API and file drop exactly, in windows and lake', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-sources-e2e-'));
    const pipeline = await LocalPipeline.create({
      registry: SchemaRegistry.load(),
      dataDir,
      hosts: 2,
      rate: 20_000,
      maxEvents: 600,
      shards: 2,
      backfillMs: 0,
      sources: {
        collectorHosts: 4,
        ingestPort: 0,
        agentEveryMs: 3_600_000, // one reading at start, none after within the test
        ingestThrottle: { rateLimit: 0.01, burstLimit: 2 },
      },
    });
    const sources = pipeline.sources as NonNullable<typeof pipeline.sources>;
    const s3 = createS3Client({
      endpoint: JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')).s3,
    });
    try {
      pipeline.run();
      const post = (body: unknown, key?: string) =>
        fetch(sources.ingestUrl as string, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify(body),
        });

      // Act
      await sources.tick(new Date(at(0)));
      await sources.tick(new Date(at(0))); // the same tick again: nothing new
      const batch = { events: [metric('web-1', 10), metric('web-1', 20), metric('web-2', 30), { host: 'x' }] };
      const first = await post(batch, 'e2e-1');
      const retried = await post(batch, 'e2e-1');
      const throttled = await post(batch);
      await s3.send(
        new PutObjectCommand({
          Bucket: names.dropBucket,
          Key: 'incoming/batch.csv',
          Body:
            'occurred_at,host,metric,value,unit,region,environment\n' +
            `${at(0)},file-1,cpu_utilization,5,percent,local,test\n` +
            `${at(0)},file-1,cpu_utilization,oops,percent,local,test\n` +
            `${at(0)},file-2,cpu_utilization,7,percent,local,test\n`,
        }),
      );
      while (!(await exists(s3, names.dropBucket, 'processed/batch.csv'))) await new Promise((r) => setTimeout(r, 100));
      await pipeline.producerDone();
      const summary = await pipeline.stop();

      // Assess: the API
      expect([first.status, await first.json()]).toEqual([
        202,
        { accepted: 3, rejected: 1, errors: [{ index: 3, field: 'occurred_at', reason: 'occurred_at is required' }] },
      ]);
      expect(retried.status).toBe(202);
      expect([throttled.status, throttled.headers.get('retry-after'), (await throttled.json()).error]).toEqual([
        429,
        '1',
        'too many requests: stay under 0.01 requests/s, then retry',
      ]);
      expect(await exists(s3, names.dropBucket, 'failed/batch.csv.errors.jsonl')).toBe(true);
      // Assess: counted exactly, per source and in all
      expect(summary.sources).toEqual({ fleet: 600, collector: 20, agent: 5, ingest_api: 3, file_drop: 2, otlp: 0 });
      expect(summary).toMatchObject({ produced: 630, windowed: 630, late: 0, quarantined: 0, parquet_rows: 630 });
      // Assess: the SLIs: three requests, none answered 5xx (the 429 is the client's to retry); nothing lost
      expect([summary.slo.ingest_availability, summary.slo.data_loss_ratio, summary.slo.basis]).toEqual([
        { value: 1, objective: 0.999, kind: 'min', met: true },
        { value: 0, objective: 0.0001, kind: 'max', met: true },
        { ingest_requests: 3, ingest_server_errors: 0, acknowledged: 630, missing: 0 },
      ]);
      // Assess: each source's events are in the windows…
      // Wide enough for the agent's reading, taken whenever the pipeline started.
      const from = Date.now() - 3_600_000;
      const to = Date.now() + 60_000;
      const count = async (metric_: string, host: string) =>
        (await pipeline.reader.series({ metric: metric_, host, from, to, sizeMs: 60_000 })).reduce(
          (n, w) => n + w.count,
          0,
        );
      expect(await count('cpu_utilization', 'web-1')).toBe(2);
      expect(await count('cpu_utilization', 'file-2')).toBe(1);
      expect(await count('cpu_utilization', 'server-004')).toBe(1); // only the collector has 4 servers
      expect(await count('memory_usage', hostname())).toBe(1);
      // …and in the lake, by source
      const lake = await LakeQuery.open(SchemaRegistry.load(), join(dataDir, 'lake'));
      try {
        const rows = await lake.query(
          "SELECT coalesce(source, '?') AS source, split_part(producer_id, ':', 1) AS unit, count(*)::INT AS n FROM silver_metric_samples GROUP BY 1, 2 ORDER BY 1, 2",
        );
        expect(rows.filter((r) => r.unit !== r.source && r.source !== 'collector')).toEqual([]);
        expect(Object.fromEntries(rows.filter((r) => r.source !== 'collector').map((r) => [r.source, r.n]))).toEqual({
          agent: 5,
          'file-drop': 2,
          'ingest-api': 3,
        });
        expect(rows.find((r) => r.unit === 'collector')?.n).toBe(20);
      } finally {
        lake.close();
      }
    } finally {
      s3.destroy();
      await pipeline.close();
    }
  });
});
