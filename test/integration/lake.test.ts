import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '#core/clients/s3.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { lakeColumns } from '#core/lake/columns.js';
import { declaredParameters } from '#core/lake/execution-parameters.js';
import { analyticsSqlDir, LakeQuery, syncLake } from '#core/lake/lake-query.js';
import type { LocalServer } from '#local/kinesis-server.js';
import { ensureBucket, startS3Server } from '#local/s3-server.js';
import { type DeliveryStats } from '#core/lake/local-delivery.js';
import { deliverFixture, type LakeFixture, lakeFixture } from '#test/helpers/lake-fixture.js';

const registry = SchemaRegistry.load();
const bucket = 'pulse-lake';
let server: LocalServer;
let s3: S3Client;
let lake: LakeQuery;
let fixture: LakeFixture;
let stats: Record<string, DeliveryStats>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-lake-'));
  server = await startS3Server({ directory: join(dir, 's3') });
  s3 = createS3Client({ endpoint: server.endpoint });
  await ensureBucket(s3, bucket);
  fixture = lakeFixture(registry);
  stats = await deliverFixture(registry, fixture, s3, bucket);
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
    // Athena's partition projection types them int; DuckDB would read month=02 as VARCHAR
    expect([types.year, types.month, types.day, types.hour]).toEqual(['INTEGER', 'INTEGER', 'INTEGER', 'INTEGER']);
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

describe('analytics-sql/queries on DuckDB, with their parameters, equal a TypeScript oracle', () => {
  const sql = (file: string) => readFileSync(join(analyticsSqlDir(), 'queries', file), 'utf8');
  const run = (file: string, params: string[]) => lake.query(sql(file), params);
  /** The fixture spans 2026-11-30 20:00 to 2026-12-02 01:50 UTC: December 1 is a whole day. */
  const DAY = ['2026', '12', '1'];
  const MONTH = ['2026', '12'];
  const inDay = (e: { occurred_at: Date }) => dayOf(e.occurred_at.getTime()) === '2026-12-01';
  const inMonth = (e: { occurred_at: Date }) => e.occurred_at.toISOString().startsWith('2026-12');
  const metrics = (metric: string, keep: (e: { occurred_at: Date }) => boolean) =>
    fixture.metrics.filter((m) => m.metric === metric && keep(m));
  /** Doubles to 9 decimals on both sides: DuckDB sums in another order than a loop. */
  const r9 = (v: unknown) => Math.round(Number(v) * 1e9) / 1e9;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const byHost = (a: { host: string }, b: { host: string }) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);

  it('the fixture has events outside the day and the month the queries name (so the filters count)', () => {
    expect(fixture.metrics.filter(inDay).length).toBe(144 * 3 * 5);
    expect(fixture.metrics.some((m) => !inDay(m))).toBe(true);
    expect(fixture.metrics.some((m) => !inMonth(m))).toBe(true);
  });

  it('runs every file in analytics-sql/queries with the parameters its header declares', async () => {
    const values: Record<string, string> = { year: '2026', month: '12', day: '1', threshold: '80' };
    const files = readdirSync(join(analyticsSqlDir(), 'queries'));
    expect(files.length).toBe(10);
    for (const f of files) {
      const params = (declaredParameters(sql(f)) ?? []).map((p) => values[p.name] as string);
      expect((await lake.query(sql(f), params)).length, f).toBeGreaterThan(0);
    }
  });

  it("seed query 1, cpu_by_host_day: a day's CPU per host, highest average first", async () => {
    // Prepare
    const expected = [...groupBy(metrics('cpu_utilization', inDay), (m) => m.host)]
      .map(([host, ms]) => {
        const v = ms.map((m) => m.value);
        return { host, avg_cpu: r9(mean(v)), max_cpu: Math.max(...v), min_cpu: Math.min(...v), samples: v.length };
      })
      .sort((a, b) => b.avg_cpu - a.avg_cpu || byHost(a, b));

    // Act
    const rows = await run('cpu_by_host_day.sql', DAY);

    // Assess
    expect(
      rows.map((r) => ({
        host: r.host,
        avg_cpu: r9(r.avg_cpu),
        max_cpu: num(r.max_cpu),
        min_cpu: num(r.min_cpu),
        samples: num(r.samples),
      })),
    ).toEqual(expected);
  });

  it('seed query 2, memory_latest_samples_month: the latest 100 raw memory samples of a month, newest first', async () => {
    // Prepare
    const expected = metrics('memory_usage', inMonth)
      .sort((a, b) => b.occurred_at.getTime() - a.occurred_at.getTime() || byHost(a, b))
      .slice(0, 100)
      .map((m) => ({ host: m.host, occurred_at: ts(m.occurred_at.getTime()), value: m.value }));

    // Act
    const rows = await run('memory_latest_samples_month.sql', MONTH);

    // Assess
    expect(metrics('memory_usage', inMonth).length).toBeGreaterThan(100);
    expect(rows.map((r) => ({ host: r.host, occurred_at: r.occurred_at, value: num(r.value) }))).toEqual(expected);
  });

  it('seed query 3, disk_above_threshold_month: disk samples above the threshold parameter in a month', async () => {
    for (const threshold of ['80', '84.5']) {
      // Prepare
      const expected = metrics('disk_usage', inMonth)
        .filter((m) => m.value > Number(threshold))
        .sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime() || byHost(a, b))
        .map((m) => ({ host: m.host, occurred_at: ts(m.occurred_at.getTime()), value: m.value }));

      // Act
      const rows = await run('disk_above_threshold_month.sql', [...MONTH, threshold]);

      // Assess
      expect(expected.length, threshold).toBeGreaterThan(0);
      expect(rows.map((r) => ({ host: r.host, occurred_at: r.occurred_at, value: num(r.value) }))).toEqual(expected);
    }
  });

  it("seed query 4, network_by_host_day: a day's network in and out per host", async () => {
    // Prepare
    const hosts = [...new Set(fixture.metrics.map((m) => m.host))].sort();
    const of = (host: string, metric: string) =>
      metrics(metric, inDay)
        .filter((m) => m.host === host)
        .map((m) => m.value);
    const expected = hosts.map((host) => ({
      host,
      avg_in_mbps: r9(mean(of(host, 'network_in'))),
      max_in_mbps: Math.max(...of(host, 'network_in')),
      avg_out_mbps: r9(mean(of(host, 'network_out'))),
      max_out_mbps: Math.max(...of(host, 'network_out')),
    }));

    // Act
    const rows = await run('network_by_host_day.sql', DAY);

    // Assess
    expect(
      rows.map((r) => ({
        host: r.host,
        avg_in_mbps: r9(r.avg_in_mbps),
        max_in_mbps: num(r.max_in_mbps),
        avg_out_mbps: r9(r.avg_out_mbps),
        max_out_mbps: num(r.max_out_mbps),
      })),
    ).toEqual(expected);
  });

  it('metric_count_by_environment_month: samples and hosts per metric and environment in a month', async () => {
    // Prepare
    const expected = [...groupBy(fixture.metrics.filter(inMonth), (m) => `${m.metric}|${m.environment}`)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, ms]) => ({
        metric: key.split('|')[0],
        environment: key.split('|')[1],
        samples: ms.length,
        hosts: new Set(ms.map((m) => m.host)).size,
      }));

    // Act
    const rows = await run('metric_count_by_environment_month.sql', MONTH);

    // Assess
    expect(new Set(expected.map((e) => e.environment))).toEqual(new Set(['production', 'staging']));
    expect(
      rows.map((r) => ({ metric: r.metric, environment: r.environment, samples: num(r.samples), hosts: num(r.hosts) })),
    ).toEqual(expected);
  });

  it("peak_hours_day: per metric, the day's 3 hours with the highest fleet average", async () => {
    // Prepare
    const expected = [...groupBy(fixture.metrics.filter(inDay), (m) => m.metric)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([metric, ms]) =>
        [...groupBy(ms, (m) => String(m.occurred_at.getUTCHours()))]
          .map(([hour, hs]) => ({
            metric,
            hour: Number(hour),
            avg_value: r9(mean(hs.map((m) => m.value))),
            samples: hs.length,
          }))
          .sort((a, b) => b.avg_value - a.avg_value || a.hour - b.hour)
          .slice(0, 3)
          .map((h, i) => ({ ...h, hour_rank: i + 1 })),
      );

    // Act
    const rows = await run('peak_hours_day.sql', DAY);

    // Assess
    expect(
      rows.map((r) => ({
        metric: r.metric,
        hour: num(r.hour),
        avg_value: r9(r.avg_value),
        samples: num(r.samples),
        hour_rank: num(r.hour_rank),
      })),
    ).toEqual(expected);
  });

  it("p95_cpu_per_host_hour: a day's p95 CPU per host per hour", async () => {
    // Prepare
    const expected = [
      ...groupBy(metrics('cpu_utilization', inDay), (m) => `${m.host}|${hourOf(m.occurred_at.getTime())}`),
    ]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, ms]) => ({
        host: key.split('|')[0],
        hour_start: ts(Number(key.split('|')[1])),
        p95_cpu: r9(
          quantileCont(
            ms.map((m) => m.value),
            0.95,
          ),
        ),
        samples: ms.length,
      }));

    // Act
    const rows = await run('p95_cpu_per_host_hour.sql', DAY);

    // Assess
    expect(rows.length).toBe(3 * 24);
    expect(
      rows.map((r) => ({ host: r.host, hour_start: r.hour_start, p95_cpu: r9(r.p95_cpu), samples: num(r.samples) })),
    ).toEqual(expected);
  });

  it("error_rate_by_service: a day's share of ERROR and FATAL log events per service", async () => {
    // Prepare
    const expected = [...groupBy(fixture.logs.filter(inDay), (l) => l.service)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([service, ls]) => {
        const errors = ls.filter((l) => l.level === 'ERROR' || l.level === 'FATAL').length;
        return { service, events: ls.length, errors, error_rate: r9(errors / ls.length) };
      });

    // Act
    const rows = await run('error_rate_by_service.sql', DAY);

    // Assess
    expect(
      rows.map((r) => ({
        service: r.service,
        events: num(r.events),
        errors: num(r.errors),
        error_rate: r9(r.error_rate),
      })),
    ).toEqual(expected);
  });

  it('events_per_day_per_type: events per event-time day and type in a month', async () => {
    // Prepare
    const events = [
      ...fixture.metrics.filter(inMonth).map((e) => ({ type: 'MetricSample', date: dayOf(e.occurred_at.getTime()) })),
      ...fixture.logs.filter(inMonth).map((e) => ({ type: 'LogEvent', date: dayOf(e.occurred_at.getTime()) })),
    ];
    const expected = [...groupBy(events, (e) => `${e.date}|${e.type}`)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, es]) => ({ event_type: key.split('|')[1], event_date: key.split('|')[0], events: es.length }));

    // Act
    const rows = await run('events_per_day_per_type.sql', MONTH);

    // Assess
    expect(rows.map((r) => ({ event_type: r.event_type, event_date: r.event_date, events: num(r.events) }))).toEqual(
      expected,
    );
  });

  it("data_freshness: a day's lag from event to stream and latest arrival per type", async () => {
    // Prepare
    const expected = (
      [
        ['LogEvent', fixture.logs],
        ['MetricSample', fixture.metrics],
      ] as const
    ).map(([event_type, list]) => {
      const day = (list as { occurred_at: Date; arrivedAt: number }[]).filter(inDay);
      const lags = day.map((e) => e.arrivedAt - e.occurred_at.getTime());
      return {
        event_type,
        events: day.length,
        avg_lag_ms: r9(mean(lags)),
        max_lag_ms: Math.max(...lags),
        latest_arrival: ts(Math.max(...day.map((e) => e.arrivedAt))),
      };
    });

    // Act
    const rows = await run('data_freshness.sql', DAY);

    // Assess
    expect(
      rows.map((r) => ({
        event_type: r.event_type,
        events: num(r.events),
        avg_lag_ms: r9(r.avg_lag_ms),
        max_lag_ms: num(r.max_lag_ms),
        latest_arrival: r.latest_arrival,
      })),
    ).toEqual(expected);
  });
});
