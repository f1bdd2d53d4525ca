import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PULSE = resolve('bin/pulse.mjs');
/** A data dir with no lake yet: every table is there, empty. */
const dataDir = mkdtempSync(join(tmpdir(), 'pulse-query-cli-'));
const pulseQuery = (...args: string[]) => run(process.execPath, [PULSE, 'query', '--data-dir', dataDir, ...args]);

describe('pulse query --param', () => {
  it('fills the ? in order with Athena literals; a ? in a string is no parameter', async () => {
    // Act
    const { stdout } = await pulseQuery(
      '--format',
      'json',
      '--param',
      '2026',
      '--param',
      "'it''s'",
      "SELECT v, s FROM (VALUES (2026, 'x'), (2027, 'it''s'), (2028, '?')) AS t(v, s) WHERE v = ? OR s = ? ORDER BY v",
    );

    // Assess
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { v: 2026, s: 'x' },
      { v: 2027, s: "it's" },
    ]);
  });

  it('runs a shipped query file with its parameters', async () => {
    // Act
    const { stdout } = await pulseQuery(
      'analytics-sql/queries/cpu_by_host_day.sql',
      '--param',
      '2026',
      '--param',
      '2',
      '--param',
      '5',
    );

    // Assess
    expect(stdout.trim()).toBe('(0 rows)');
  });

  it('names how many parameters the query needs, and a literal of the wrong type, exit 2', async () => {
    await expect(
      pulseQuery('analytics-sql/queries/cpu_by_host_day.sql', '--param', '2026', '--param', '2'),
    ).rejects.toMatchObject({
      code: 2,
      stderr:
        'pulse: the query needs 3 parameters (year INTEGER, month INTEGER, day INTEGER) and got 2: give one value per ?, in order\n',
    });
    await expect(
      pulseQuery('analytics-sql/queries/cpu_by_host_day.sql', '--param', '2026', '--param', '2', '--param', "'5'"),
    ).rejects.toMatchObject({
      code: 2,
      stderr: "pulse: parameter 3 (day INTEGER) is '5', a VARCHAR literal: give a whole number (5)\n",
    });
  });

  it('documents --param in its help', async () => {
    const { stdout } = await pulseQuery('--help');
    expect(stdout).toContain('--param V           the value of the next ? (repeat, one per ?, in order)');
    expect(stdout).toContain('pulse query analytics-sql/queries/cpu_by_host_day.sql --param 2026 --param 2 --param 5');
  });
});
