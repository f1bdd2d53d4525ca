import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('cdk synth', () => {
  it('fails on invalid settings with the message that names the key and the accepted values', async () => {
    // Act / Assess: the real CLI, as CI and operators run it
    await expect(
      run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-c', 'streamMode=fast', '-o', 'cdk.out.invalid'], {
        env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      }),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining(`context 'streamMode' must be 'on-demand' or 'provisioned', got "fast"`),
    });
  });
});
