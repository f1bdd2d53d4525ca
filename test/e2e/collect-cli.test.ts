import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { createStream } from '#local/streams.js';
import { readAll, useLocalKinesis } from '#test/helpers/local-kinesis.js';

const run = promisify(execFile);
const local = useLocalKinesis();

describe('pulse collect (host agent CLI)', () => {
  it('produces this machine’s five metrics per reading to the local stack named in the data dir', async () => {
    // Prepare: a data dir as pulse start leaves it
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-collect-'));
    await createStream(local.kinesis, 'agent-cli', 1);
    writeFileSync(
      join(dataDir, 'endpoints.json'),
      JSON.stringify({ kinesis: local.server.endpoint, stream: 'agent-cli' }),
    );

    // Act
    const { stdout, stderr } = await run(process.execPath, [
      'bin/pulse.mjs',
      'collect',
      '--count',
      '2',
      '--interval',
      '0.2',
      '--data-dir',
      dataDir,
    ]);

    // Assess
    expect(stderr).toContain('collecting this machine every 0.2 s → agent-cli (local)');
    expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toEqual({
      collected: 10,
      produced: 10,
      dropped: 0,
      buffered: 0,
      readErrors: 0,
    });
    const events = await readAll(local.kinesis, 'agent-cli', SchemaRegistry.load());
    expect(events.map((e) => (e.event as { metric: string }).metric).sort()).toEqual(
      ['cpu_utilization', 'disk_usage', 'memory_usage', 'network_in', 'network_out'].flatMap((m) => [m, m]),
    );
    expect(new Set(events.map((e) => (e.event as { host: string }).host))).toEqual(new Set([hostname()]));
  });

  it.each([
    [['--aws'], '--aws needs --stream NAME: the StreamName output of the deployed stack'],
    [['--interval', '0'], "--interval must be a number of seconds ≥ 0.1, got '0'"],
    [['--stream', 's'], '--stream applies only with --aws: local mode reads it from the data dir'],
  ])('refuses %j with exit 2 and says why', async (args, message) => {
    // Act / Assess
    await expect(run(process.execPath, ['bin/pulse.mjs', 'collect', ...args])).rejects.toMatchObject({
      code: 2,
      stderr: `pulse: ${message}\n`,
    });
  });
});
