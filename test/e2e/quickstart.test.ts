import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '../../core/contract/registry.js';
import { runQuickstart } from '../../core/local/quickstart.js';

const run = promisify(execFile);

describe('npm start (quickstart)', () => {
  it('consumes exactly what it produced, and the hot path windows every event once', async () => {
    // Act
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-start-'));
    const summary = await runQuickstart({
      registry: SchemaRegistry.load(),
      events: 3_000,
      hosts: 7,
      shards: 3,
      dataDir,
    });
    // Assess: 7 hosts × (5 metrics + 1 log) = 42 events per tick; 72 ticks ≥ 3000
    expect(summary).toMatchObject({
      produced: 3_024,
      consumed: 3_024,
      metric_samples: 2_520,
      log_events: 504,
      hosts: 7,
      poison: 0,
      duplicates: 0,
      out_of_order: 0,
      windowed: 3_024,
      parquet_rows: 3_024,
      parquet_files: 2,
      late: 0,
      quarantined: 0,
      dynamodb: 'dynamodb-local',
    });
    // 7 hosts × 5 metrics per minute touched, plus (service, level) log windows
    expect(summary.windows).toBeGreaterThanOrEqual(35);
  });

  it('the CLI ends with one JSON summary line and exit code 0', async () => {
    // Act
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-cli-'));
    const { stdout } = await run('npx', [
      'tsx',
      'core/cli/pulse.ts',
      'start',
      '--events',
      '600',
      '--hosts',
      '10',
      '--data-dir',
      dataDir,
    ]);
    const query = await run('npx', [
      'tsx',
      'core/cli/pulse.ts',
      'query',
      '--data-dir',
      dataDir,
      '--format',
      'json',
      'analytics-sql/queries/cpu_by_host_day.sql',
    ]);
    // Assess
    const last = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(last).toMatchObject({
      produced: 600,
      consumed: 600,
      hosts: 10,
      poison: 0,
      windowed: 600,
      parquet_rows: 600,
    });
    const rows = query.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.host, Number(r.samples)])).toEqual(
      Array.from({ length: 10 }, (_, i) => [`server-${String(i + 1).padStart(3, '0')}`, 10]),
    );
  });

  it('the CLI names a bad data dir and a bad query format, exit 2', async () => {
    // a path under a regular file can never be a directory (root can write anywhere else)
    const file = join(mkdtempSync(join(tmpdir(), 'pulse-file-')), 'not-a-dir');
    writeFileSync(file, '');
    await expect(
      run('npx', ['tsx', 'core/cli/pulse.ts', 'start', '--data-dir', join(file, 'data')]),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `pulse: data dir '${join(file, 'data')}' is not writable: choose another with --data-dir`,
      ),
    });
    await expect(
      run('npx', ['tsx', 'core/cli/pulse.ts', 'query', '--format', 'xml', 'SELECT 1']),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("pulse: --format must be table or json, got 'xml'"),
    });
  });

  it('the CLI names a bad flag value and exits 2', async () => {
    // Act
    const failed = run('npx', ['tsx', 'core/cli/pulse.ts', 'start', '--events', 'many']);
    // Assess
    await expect(failed).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("pulse: --events must be an integer ≥ 1, got 'many'"),
    });
  });
});
