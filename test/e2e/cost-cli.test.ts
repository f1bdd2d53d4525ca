import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROUND_MEASURED } from '../helpers/cost.js';

const run = promisify(execFile);

describe('pulse cost', () => {
  it('uses the measurements of the data dir and prints one JSON report', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-cost-'));
    const measured = ROUND_MEASURED;
    writeFileSync(join(dataDir, 'measured.json'), JSON.stringify(measured));

    // Act
    const { stdout } = await run(process.execPath, [
      'bin/pulse.mjs',
      'cost',
      '--events-per-second',
      '1000',
      '--data-dir',
      dataDir,
      '--format',
      'json',
    ]);

    // Assess
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      eventsPerSecond: 1000,
      eventsPerMonth: 2_628_000_000,
      measured,
      pricesAsOf: '2026-11-01',
    });
    expect(report.pulse.map((l: { component: string }) => l.component)).toEqual([
      'Kinesis (on-demand)',
      'Lambda hot path',
      'DynamoDB windows (on-demand)',
      'Firehose (Parquet, dynamic partitioning)',
      'Lambda Firehose transform',
      'S3 lake (first month)',
    ]);
    expect(report.pulseTotal).toBeLessThan(report.perEventTotal);
  });

  it('falls back to the reference run and says so; refuses a missing rate', async () => {
    // Act
    const { stdout } = await run(process.execPath, [
      'bin/pulse.mjs',
      'cost',
      '--events-per-second',
      '50',
      '--data-dir',
      '/nonexistent',
    ]);

    // Assess
    expect(stdout).toContain('measurements: npm run bench:local');
    await expect(run(process.execPath, ['bin/pulse.mjs', 'cost'])).rejects.toMatchObject({
      code: 2,
      stderr: "pulse: --events-per-second must be a positive number, got ''\n",
    });
  });
});
