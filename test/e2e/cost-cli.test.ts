import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROUND_MEASURED } from '#test/helpers/cost.js';

const run = promisify(execFile);
const PULSE = resolve('bin/pulse.mjs');

/** Every line a stage's bill has, in order. */
const PULSE_COMPONENTS = [
  'Kinesis Data Streams',
  'Lambda hot path',
  'DynamoDB writes',
  'DynamoDB reads',
  'DynamoDB storage and PITR',
  'DynamoDB GSI',
  'Firehose metric_samples',
  'Firehose log_events',
  'Lambda transforms',
  'S3 PUT requests',
  'S3 lake storage',
  'S3 GET requests (Athena)',
  'Athena (gold workflow)',
  'Glue Data Catalog',
  'Step Functions (gold workflow)',
  'API Gateway (ingest API)',
  'Lambda ingest API',
  'DynamoDB idempotency (ingest API)',
  'Lambda collector (schedule)',
  'CloudWatch custom metrics',
  'CloudWatch fleet metrics',
  'CloudWatch Logs ingestion (EMF and logs)',
  'CloudWatch Logs storage',
  'CloudWatch alarms',
  'CloudWatch dashboard',
  'KMS',
  'SQS (file-drop queue, dead letters)',
  'X-Ray traces',
];

const BASELINE_COMPONENTS = [
  'Lambda (seed collector)',
  'DynamoDB writes (one item per sample)',
  'DynamoDB storage',
  'S3 PUT (one JSON file per invocation)',
  'S3 storage',
  'Step Functions (a run per invocation)',
  'CloudWatch Logs (Lambda)',
];

interface Line {
  name: string;
  monthly_usd: number;
  per_million_usd: number;
  basis: string;
}

/** The bill's lines add up to its totals; each line has exactly its four fields. */
function expectSummed(bill: { total_per_million_usd: number; total_monthly_usd: number; components: Line[] }) {
  for (const c of bill.components) {
    expect(Object.keys(c)).toEqual(['name', 'monthly_usd', 'per_million_usd', 'basis']);
    expect(c.basis.length, c.name).toBeGreaterThan(10);
    expect(c.monthly_usd, c.name).toBeGreaterThanOrEqual(0);
  }
  expect(bill.total_monthly_usd).toBeCloseTo(
    bill.components.reduce((n, c) => n + c.monthly_usd, 0),
    6,
  );
  expect(bill.total_per_million_usd).toBeCloseTo(
    bill.components.reduce((n, c) => n + c.per_million_usd, 0),
    9,
  );
}

describe('pulse cost', () => {
  it('prices 10,000 hosts × 20 metrics every 10 s from the reference, every component, totals that add up', async () => {
    // Act
    const { stdout } = await run(process.execPath, [PULSE, 'cost', '--fleet', '10000x20/10s', '--format', 'json']);

    // Assess
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({
      fleet: '10000x20/10s',
      events_per_second: 20_000,
      events_per_month: 52_560_000_000,
      shape_used: { name: 'C', fleet: '10000x20/10s', exact: true, note: 'measured shape C (10000x20/10s): exact' },
      prices_as_of: '2026-11-01',
    });
    expect(r.components.map((c: Line) => c.name)).toEqual(PULSE_COMPONENTS);
    expect(r.baseline.components.map((c: Line) => c.name)).toEqual(BASELINE_COMPONENTS);
    expectSummed(r);
    expectSummed(r.baseline);
    expect(r.baseline_ratio).toBeCloseTo(r.baseline.total_monthly_usd / r.total_monthly_usd, 9);
    expect(r.firehose_readings.per_aggregated_record.total_monthly_usd).toBe(r.total_monthly_usd);
    expect(r.firehose_readings.per_event.total_monthly_usd).toBeGreaterThan(r.total_monthly_usd);
    expect(r.measurements).toMatch(/^core\/cost\/reference-fleet\.json, measured \d{4}-\d{2}-\d{2}/);
    expect(r.minimal_stage.total_monthly_usd).toBeLessThan(r.total_monthly_usd);
  });

  it("prints seed 000's fleet as a table: both bills, the ratio, the minimal stage", async () => {
    // Act
    const { stdout } = await run(process.execPath, [PULSE, 'cost', '--fleet', '10x5/5m']);

    // Assess
    expect(stdout).toContain('Pulse for the fleet 10x5/300s: ');
    expect(stdout).toContain('Figures: measured shape A (10x5/300s): exact');
    expect(stdout).toContain('Seed design on the same fleet (baseline)');
    expect(stdout).toMatch(/Pulse costs [\d.]+x the baseline/);
    expect(stdout).toContain('A minimal stage (provisioned stream with 24 h retention');
    expect(stdout).toContain('if Firehose rounds each de-aggregated event up to 5 KB');
    for (const name of PULSE_COMPONENTS) expect(stdout).toContain(`- ${name}: `);
  });

  it('names the nearest shape for a fleet it did not measure', async () => {
    // Act
    const { stdout } = await run(process.execPath, [PULSE, 'cost', '--fleet', '20000x20/10s', '--format', 'json']);

    // Assess
    const r = JSON.parse(stdout);
    expect(r.shape_used).toMatchObject({ name: 'C', exact: false });
    expect(r.shape_used.note).toMatch(/^approximation: per-event figures of the nearest measured shape C/);
  });

  it('uses a local run only when asked, never the last one implicitly', async () => {
    // Prepare: a working directory whose default data dir holds a local run's figures
    const cwd = mkdtempSync(join(tmpdir(), 'pulse-cost-'));
    mkdirSync(join(cwd, '.data'));
    writeFileSync(join(cwd, '.data', 'measured.json'), JSON.stringify(ROUND_MEASURED));
    const args = [PULSE, 'cost', '--fleet', '1000x5/10s', '--format', 'json'];

    // Act
    const implicit = JSON.parse((await run(process.execPath, args, { cwd })).stdout);
    const asked = JSON.parse(
      (await run(process.execPath, [...args, '--measured', join(cwd, '.data')], { cwd })).stdout,
    );

    // Assess
    expect(implicit.shape_used).toMatchObject({ name: 'B', exact: true });
    expect(asked.shape_used.name).toBe('local run (a run of this test)');
    expect(asked.measurements).toMatch(/\.data\/measured\.json \(a local run\)/);
    // 0.05 writes per event of 0.5 KB items: 1 write unit each
    expect(asked.components[2].basis).toMatch(/^0\.05 write units per event/);
  });

  it('refuses a malformed fleet and a missing measured.json with exit code 2', async () => {
    // Act / Assess
    await expect(run(process.execPath, [PULSE, 'cost', '--fleet', '10000x20'])).rejects.toMatchObject({
      code: 2,
      stderr:
        "pulse: --fleet must be <hosts>x<metrics>/<interval>, e.g. 10000x20/10s or 10x5/5m (whole hosts and metrics ≥ 1; interval > 0 in s, m or h), got '10000x20'\n",
    });
    await expect(
      run(process.execPath, [PULSE, 'cost', '--fleet', '10x5/5m', '--measured', '/nonexistent']),
    ).rejects.toMatchObject({
      code: 2,
      stderr:
        'pulse: --measured: /nonexistent/measured.json does not exist: run pulse start --data-dir /nonexistent and stop it first\n',
    });
    await expect(run(process.execPath, [PULSE, 'cost'])).rejects.toMatchObject({
      code: 2,
      stderr: 'pulse: give --fleet <hosts>x<metrics>/<interval>, or --events-per-second N\n',
    });
  });
});
