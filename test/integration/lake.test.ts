import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../core/clients/s3.js';
import { SchemaRegistry } from '../../core/contract/registry.js';
import { lakeColumns } from '../../core/lake/columns.js';
import { analyticsSqlDir, LakeQuery, syncLake } from '../../core/lake/lake-query.js';
import { LocalDelivery } from '../../core/lake/local-delivery.js';
import { LakeTransform } from '../../core/lake/transform.js';
import type { LocalServer } from '../../core/local/kinesis-server.js';
import { ensureBucket, startS3Server } from '../../core/local/s3-server.js';
import { type LakeFixture, lakeFixture } from '../helpers/lake-fixture.js';

const registry = SchemaRegistry.load();
const bucket = 'pulse-lake';
let server: LocalServer;
let s3: S3Client;
let lake: LakeQuery;
let fixture: LakeFixture;
let stats: Record<string, { rowsWritten: number; dropped: number; failed: number; parquetFiles: number }>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-lake-'));
  server = await startS3Server({ directory: join(dir, 's3') });
  s3 = createS3Client({ endpoint: server.endpoint });
  await ensureBucket(s3, bucket);
  fixture = lakeFixture(registry);
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  stats = {};
  for (const type of ['MetricSample', 'LogEvent'] as const) {
    const transform = new LakeTransform(registry, type);
    const delivery = new LocalDelivery({
      s3,
      bucket,
      eventType: type,
      columns: lakeColumns(registry, type),
      transform: async (event) => ({ records: transform.transform(event.records) }),
      duck,
      bufferBytes: 64 * 1024,
    });
    for (let i = 0; i < fixture.records.length; i += 25)
      await delivery.put(fixture.records.slice(i, i + 25), 'shardId-000000000000');
    await delivery.flush();
    stats[type] = delivery.stats;
  }
  await syncLake(s3, bucket, join(dir, 'cache'));
  lake = await LakeQuery.open(registry, join(dir, 'cache'));
}, 120_000);

afterAll(async () => {
  lake?.close();
  s3?.destroy();
  await server?.stop();
});

const num = (v: unknown) => Number(v);
const ts = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.000Z$/, '')
    .replace('Z', '');

/** quantile_cont: linear interpolation between closest ranks (what the DuckDB shim computes). */
function quantileCont(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}

const hourOf = (ms: number) => Math.floor(ms / 3_600_000) * 3_600_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('local delivery writes a lake DuckDB reads', () => {
  it('lands every event (bronze keeps the duplicates), drops the other type, fails poison into the error prefix', async () => {
    expect(fixture.duplicated.MetricSample).toBeGreaterThan(0);
    expect(stats.MetricSample?.rowsWritten).toBe(fixture.metrics.length + fixture.duplicated.MetricSample);
    expect(stats.LogEvent?.rowsWritten).toBe(fixture.logs.length + fixture.duplicated.LogEvent);
    expect(stats.MetricSample?.dropped).toBe(fixture.logs.length + fixture.duplicated.LogEvent);
    const bronze = await lake.query('SELECT count(*) AS n FROM metric_samples');
    const silver = await lake.query('SELECT count(*) AS n FROM silver_metric_samples');
    expect(num(bronze[0]?.n)).toBe(stats.MetricSample?.rowsWritten);
    expect(num(silver[0]?.n)).toBe(fixture.metrics.length);
    expect(num((await lake.query('SELECT count(*) AS n FROM silver_log_events'))[0]?.n)).toBe(fixture.logs.length);
    expect(stats.MetricSample?.failed).toBe(fixture.poison);
    const errors = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'errors/metric_samples/processing-failed/' }),
    );
    const lines: { errorCode: string; rawData: string; errorMessage: string }[] = [];
    for (const o of errors.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
      lines.push(
        ...((await body.Body?.transformToString()) ?? '')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
    }
    expect(lines.map((l) => Buffer.from(l.rawData, 'base64').toString()).sort()).toEqual([
      'poison 0',
      'poison 100',
      'poison 150',
      'poison 50',
    ]);
    expect(lines[0]?.errorMessage).toContain('expected marker C3 01');
  });

  it('has the generated column types and event-time hive partitions', async () => {
    const described = await lake.query('DESCRIBE SELECT * FROM metric_samples');
    const types = Object.fromEntries(described.map((r) => [r.column_name, r.column_type]));
    for (const c of lakeColumns(registry, 'MetricSample')) expect(types[c.name]).toBe(c.duckdbType);
    expect(types.year).toBe('BIGINT');
    const parts = await lake.query('SELECT DISTINCT year, month, day, hour FROM metric_samples ORDER BY ALL');
    const expected = [...new Set(fixture.metrics.map((m) => hourOf(m.occurred_at.getTime())))].sort().map((h) => {
      const d = new Date(h);
      return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours()];
    });
    expect(parts.map((p) => [num(p.year), num(p.month), num(p.day), num(p.hour)])).toEqual(expected);
    // every file sits under the partition of its own rows
    const mismatched = await lake.query(
      'SELECT count(*) AS n FROM metric_samples WHERE year <> year(occurred_at) OR month <> month(occurred_at) OR day <> day(occurred_at) OR hour <> hour(occurred_at)',
    );
    expect(num(mismatched[0]?.n)).toBe(0);
  });
});

describe('analytics-sql on DuckDB equals a TypeScript oracle', () => {
  const sql = (file: string) => readFileSync(join(analyticsSqlDir(), 'queries', file), 'utf8');

  it('runs every file in analytics-sql/queries', async () => {
    const files = readdirSync(join(analyticsSqlDir(), 'queries'));
    expect(files.length).toBe(8);
    for (const f of files) expect((await lake.query(sql(f))).length).toBeGreaterThan(0);
  });

  it('cpu_by_host_day: average, max, min CPU per host on the latest day', async () => {
    const cpu = fixture.metrics.filter((m) => m.metric === 'cpu_utilization');
    const latest = cpu
      .map((m) => dayOf(m.occurred_at.getTime()))
      .sort()
      .at(-1);
    const oracle = [
      ...groupBy(
        cpu.filter((m) => dayOf(m.occurred_at.getTime()) === latest),
        (m) => m.host,
      ),
    ].sort();
    const rows = await lake.query(sql('cpu_by_host_day.sql'));
    expect(rows.map((r) => r.host)).toEqual(oracle.map(([h]) => h));
    rows.forEach((r, i) => {
      const v = (oracle[i]?.[1] ?? []).map((m) => m.value);
      expect(num(r.avg_cpu)).toBeCloseTo(v.reduce((a, b) => a + b, 0) / v.length, 9);
      expect([num(r.max_cpu), num(r.min_cpu), num(r.samples)]).toEqual([Math.max(...v), Math.min(...v), v.length]);
    });
  });

  it('memory_trend and p95_cpu_per_host_hour: hourly per host', async () => {
    for (const [file, metric, col] of [
      ['memory_trend.sql', 'memory_usage', 'avg_memory'],
      ['p95_cpu_per_host_hour.sql', 'cpu_utilization', 'p95_cpu'],
    ] as const) {
      const groups = [
        ...groupBy(
          fixture.metrics.filter((m) => m.metric === metric),
          (m) => `${m.host}|${String(hourOf(m.occurred_at.getTime())).padStart(14, '0')}`,
        ),
      ].sort();
      const rows = await lake.query(sql(file));
      expect(rows.map((r) => `${r.host}|${r.hour_start}`)).toEqual(
        groups.map(([k]) => `${k.split('|')[0]}|${ts(Number(k.split('|')[1]))}`),
      );
      rows.forEach((r, i) => {
        const v = (groups[i]?.[1] ?? []).map((m) => m.value);
        const expected = col === 'p95_cpu' ? quantileCont(v, 0.95) : v.reduce((a, b) => a + b, 0) / v.length;
        expect(num(r[col])).toBeCloseTo(expected, 9);
      });
    }
  });

  it('disk_above_80 and network_totals_by_host', async () => {
    const disk = fixture.metrics
      .filter((m) => m.metric === 'disk_usage' && m.value > 80)
      .sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime() || a.host.localeCompare(b.host));
    const rows = await lake.query(sql('disk_above_80.sql'));
    expect(rows.map((r) => [r.host, r.occurred_at, num(r.disk_usage)])).toEqual(
      disk.map((m) => [m.host, ts(m.occurred_at.getTime()), m.value]),
    );
    const net = await lake.query(sql('network_totals_by_host.sql'));
    for (const r of net) {
      const sum = (metric: string) =>
        fixture.metrics.filter((m) => m.host === r.host && m.metric === metric).reduce((a, m) => a + m.value, 0);
      expect(num(r.network_in_total)).toBeCloseTo(sum('network_in'), 6);
      expect(num(r.network_out_total)).toBeCloseTo(sum('network_out'), 6);
    }
    expect(net.map((r) => r.host)).toEqual(['server-001', 'server-002', 'server-003']);
  });

  it('error_rate_by_service, events_per_day_per_type and data_freshness', async () => {
    const rates = await lake.query(sql('error_rate_by_service.sql'));
    for (const r of rates) {
      const mine = fixture.logs.filter((l) => l.service === r.service);
      const errors = mine.filter((l) => l.level === 'ERROR' || l.level === 'FATAL').length;
      expect([num(r.events), num(r.errors)]).toEqual([mine.length, errors]);
      expect(num(r.error_rate)).toBeCloseTo(errors / mine.length, 12);
    }
    const perDay = await lake.query(sql('events_per_day_per_type.sql'));
    for (const r of perDay) {
      const list = r.event_type === 'MetricSample' ? fixture.metrics : fixture.logs;
      expect(num(r.events)).toBe(list.filter((e) => dayOf(e.occurred_at.getTime()) === r.day).length);
    }
    expect(perDay.reduce((n, r) => n + num(r.events), 0)).toBe(fixture.metrics.length + fixture.logs.length);
    const fresh = await lake.query(sql('data_freshness.sql'));
    for (const r of fresh) {
      const list: { occurred_at: Date; arrivedAt: number }[] =
        r.event_type === 'MetricSample' ? fixture.metrics : fixture.logs;
      const lags = list.map((e) => e.arrivedAt - e.occurred_at.getTime());
      expect(num(r.events)).toBe(list.length);
      expect(num(r.avg_lag_ms)).toBeCloseTo(lags.reduce((a, b) => a + b, 0) / lags.length, 6);
      expect(num(r.max_lag_ms)).toBe(Math.max(...lags));
    }
  });
});
