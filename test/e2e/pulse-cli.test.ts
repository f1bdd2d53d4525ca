import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { USAGE } from '#cli/main.js';

const run = promisify(execFile);

describe('pulse (bin/pulse.mjs → cli/main.ts)', () => {
  it('refuses an unknown command: one line on stderr naming it, nothing on stdout, exit 2', async () => {
    // Act / Assess
    await expect(run(process.execPath, ['bin/pulse.mjs', 'frobnicate'])).rejects.toMatchObject({
      code: 2,
      stdout: '',
      stderr: "pulse: unknown command 'frobnicate': run 'pulse --help'\n",
    });
  });

  it('without a command prints the usage to stdout and exits 2; with --help exits 0', async () => {
    // Act
    const [bare, help] = await Promise.allSettled([
      run(process.execPath, ['bin/pulse.mjs']),
      run(process.execPath, ['bin/pulse.mjs', '--help']),
    ]);
    // Assess
    expect(bare).toMatchObject({ status: 'rejected', reason: { code: 2, stdout: `${USAGE}\n`, stderr: '' } });
    expect(help).toMatchObject({ status: 'fulfilled', value: { stdout: `${USAGE}\n`, stderr: '' } });
  });
});
