import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '#core/clients/s3.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { declaredParameters } from '#core/lake/execution-parameters.js';
import { analyticsSqlDir, LakeQuery, type Row, syncLake } from '#core/lake/lake-query.js';
import type { LocalServer } from '#local/kinesis-server.js';
import { ensureBucket, startS3Server } from '#local/s3-server.js';
import { deliverFixture, type LakeFixture, lakeFixture } from '#test/helpers/lake-fixture.js';

/**
 * Partition pruning on DuckDB: over 30 days of lake (one Parquet file per table per
 * event-time hour, written by the real local delivery), each shipped query reads the
 * files of the day or month it names and no others. The files read are DuckDB's own
 * count, from its JSON profile of the run, not from the SQL text.
 */
const registry = SchemaRegistry.load();
const bucket = 'pulse-lake';
let server: LocalServer;
let s3: S3Client;
let lake: LakeQuery;
let fixture: LakeFixture;
let cache: string;
let profile: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-pruning-'));
  server = await startS3Server({ directory: join(dir, 's3') });
  s3 = createS3Client({ endpoint: server.endpoint });
  await ensureBucket(s3, bucket);
  // 720 hourly ticks: 2026-01-20 00:00 to 2026-02-18 23:00 UTC, across a month boundary
  fixture = lakeFixture(registry, { start: Date.UTC(2026, 0, 20), ticks: 720, tickMs: 3_600_000, hosts: 2 });
  await deliverFixture(registry, fixture, s3, bucket);
  cache = join(dir, 'cache');
  await syncLake(s3, bucket, cache);
  lake = await LakeQuery.open(registry, cache);
  profile = join(dir, 'profile.json');
  await lake.connection.run(`PRAGMA enable_profiling = 'json'`);
  await lake.connection.run(`PRAGMA profiling_output = '${profile}'`);
}, 300_000);

afterAll(async () => {
  lake?.close();
  s3?.destroy();
  await server?.stop();
});

/** Parquet files on disk under a table's partition prefix (`year=2026/month=02/day=05`). */
function filesUnder(table: string, prefix = ''): number {
  return readdirSync(join(cache, table, prefix), { recursive: true }).filter((f) => String(f).endsWith('.parquet'))
    .length;
}

/** One Parquet scan of a run, as DuckDB's profiler reports it. */
interface Scan {
  table: string;
  /** "Total Files Read". */
  filesRead: number;
  /** "Scanning Files": files scanned / files the glob matched (when a partition filter pruned them). */
  scanning: string | undefined;
}

/** Runs a query and returns the Parquet scans of its profile. */
async function scansOf(sql: string, params: string[]): Promise<{ rows: Row[]; scans: Scan[] }> {
  const rows = await lake.query(sql, params);
  const scans: Scan[] = [];
  const walk = (node: { extra_info?: Record<string, string>; children?: unknown[] }) => {
    const info = node.extra_info ?? {};
    if (info['Total Files Read'] !== undefined) {
      scans.push({
        table: /\/(metric_samples|log_events)\//.exec(info['Filename(s)'] ?? '')?.[1] ?? '?',
        filesRead: Number(info['Total Files Read']),
        scanning: info['Scanning Files'],
      });
    }
    for (const c of node.children ?? []) walk(c as typeof node);
  };
  walk(JSON.parse(readFileSync(profile, 'utf8')));
  return { rows, scans };
}

const queryFile = (file: string) => readFileSync(join(analyticsSqlDir(), 'queries', file), 'utf8');

describe('partition pruning on DuckDB over 30 days of lake', () => {
  it("seed query 1 for 2026-02-05 reads that day's Parquet files and no others", async () => {
    // Prepare
    const day = filesUnder('metric_samples', 'year=2026/month=02/day=05');
    const all = filesUnder('metric_samples');
    const cpuThatDay = fixture.metrics.filter(
      (m) => m.metric === 'cpu_utilization' && m.occurred_at.toISOString().startsWith('2026-02-05'),
    );

    // Act
    const { rows, scans } = await scansOf(queryFile('cpu_by_host_day.sql'), ['2026', '2', '5']);

    // Assess
    expect(day).toBe(24); // one file per event-time hour
    expect(all).toBe(30 * 24);
    expect(scans).toEqual([{ table: 'metric_samples', filesRead: day, scanning: `${day}/${all}` }]);
    // every sample of the day was read: the files read are the day's, all of them
    expect(rows.map((r) => [r.host, Number(r.samples)]).sort()).toEqual([
      ['server-001', cpuThatDay.length / 2],
      ['server-002', cpuThatDay.length / 2],
    ]);
  });

  it.each(readdirSync(join(analyticsSqlDir(), 'queries')))(
    '%s reads only the files of the day or month it names',
    async (file) => {
      // Prepare
      const sql = queryFile(file);
      const names = (declaredParameters(sql) ?? []).map((p) => p.name);
      const values: Record<string, string> = { year: '2026', month: '2', day: '5', threshold: '80' };
      const period = names.includes('day') ? 'year=2026/month=02/day=05' : 'year=2026/month=02';

      // Act
      const { scans } = await scansOf(
        sql,
        names.map((n) => values[n] as string),
      );

      // Assess
      expect(scans.length).toBeGreaterThan(0);
      // A scan that DuckDB joins back to a pruned one (late materialization of the silver
      // views' dedup) is limited by file index instead and reports no "Scanning Files".
      expect(scans.map((s) => [s.table, s.filesRead])).toEqual(
        scans.map((s) => [s.table, filesUnder(s.table, period)]),
      );
      expect(scans.filter((s) => s.scanning !== undefined).map((s) => s.scanning)).toEqual(
        scans
          .filter((s) => s.scanning !== undefined)
          .map((s) => `${filesUnder(s.table, period)}/${filesUnder(s.table)}`),
      );
    },
  );
});
