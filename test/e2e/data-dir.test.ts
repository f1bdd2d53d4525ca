/**
 * One data dir, one pipeline (real processes): a second `pulse start` on a dir in use is
 * refused at once and leaves the first unharmed; a lock left by a kill -9 is taken over;
 * a local server that dies ends the run with its name; a pid file naming a process that
 * is not that server leaves the process alone.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { processStartTicks } from '#local/data-dir-lock.js';

const run = promisify(execFile);
const QUIET = ['--port', '0', '--ingest-port', '0', '--collector-every', '0', '--agent-every', '0'];

/** A `pulse start` in its own process group, with its output collected. */
function start(dataDir: string, args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number> } {
  const child = spawn(process.execPath, ['bin/pulse.mjs', 'start', ...QUIET, ...args, '--data-dir', dataDir], {
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return { child, out: () => out, exit };
}

async function until(what: string, check: () => boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The last line of a run's stdout, parsed, and whether it conserves every event of the stream. */
function conserved(stdout: string): boolean {
  const s = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number | undefined>;
  const n = (k: string) => s[k] ?? Number.NaN;
  return (
    n('windowed') + n('late') + n('quarantined') === n('stream_events') &&
    n('parquet_rows') + n('undecodable') === n('stream_events')
  );
}

async function restart(dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['bin/pulse.mjs', 'start', ...QUIET, '--events', '300', '--data-dir', dataDir],
      { maxBuffer: 1 << 24 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('one data dir, one pipeline', () => {
  it('refuses a second pulse start at once with who holds the dir, and the first runs on to exit 0', async () => {
    // Prepare: a first run, producing
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-two-starts-'));
    const first = start(dataDir, ['--duration', '12']);
    await until('the first run to produce', () => /running for/.test(first.out()));

    // Act
    const second = await restart(dataDir);

    // Assess: refused with exit 2, naming the first; the first is unharmed
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(
        `${dataDir} is in use by pulse start \\(pid ${first.child.pid}, since [0-9T:.Z-]+\\): stop it first, or use another --data-dir`,
      ),
    );
    expect(await first.exit).toBe(0);
    expect(conserved(first.out())).toBe(true);
  }, 240_000);

  it('takes over the lock a kill -9 left, says so, and conserves every event', async () => {
    // Prepare: a run killed hard (its whole process group) while producing
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-stale-lock-'));
    const first = start(dataDir, ['--duration', '0']);
    await until('the run to produce', () => /running until Ctrl-C/.test(first.out()));
    process.kill(-(first.child.pid as number), 'SIGKILL');
    await first.exit;

    // Act
    const second = await restart(dataDir);

    // Assess
    expect(second.stderr).toContain(
      `took over the lock of ${dataDir}: its holder (pulse start, pid ${first.child.pid}`,
    );
    expect([second.code, conserved(second.stdout)]).toEqual([0, true]);
  }, 240_000);

  it('ends the run with exit 1 naming DynamoDB Local when it dies, and a restart conserves everything', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-server-dies-'));
    const first = start(dataDir, ['--duration', '0']);
    await until('the run to produce', () => /running until Ctrl-C/.test(first.out()));
    const { pid } = JSON.parse(readFileSync(join(dataDir, 'dynamodb-local.pid'), 'utf8')) as { pid: number };

    // Act: kill DynamoDB Local under the running pipeline
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const code = await first.exit;
    const tookMs = Date.now() - killedAt;
    const second = await restart(dataDir);

    // Assess: exit 1 with its name, within 10 s (a liveness bound, not a speed figure)
    expect(code).toBe(1);
    expect(first.out()).toMatch(/error: DynamoDB Local \(pid \d+\) exited \(SIGKILL\)/);
    expect(tookMs).toBeLessThan(10_000);
    expect([second.code, conserved(second.stdout)]).toEqual([0, true]);
  }, 240_000);

  it('leaves alone a process whose pid is in the pid file but is not DynamoDB Local', async () => {
    // Prepare: a foreign process, named by a stale pid file
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-foreign-pid-'));
    const foreign = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)']);
    const pid = foreign.pid as number;
    writeFileSync(join(dataDir, 'dynamodb-local.pid'), JSON.stringify({ pid, processStart: processStartTicks(pid) }));
    try {
      // Act
      const result = await restart(dataDir);

      // Assess: the run went on with its own DynamoDB Local, and the foreign process lives
      expect(result.code).toBe(0);
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(foreign.exitCode).toBeNull();
    } finally {
      foreign.kill('SIGKILL');
    }
  }, 240_000);
});
