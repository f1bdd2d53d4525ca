/**
 * A hard kill never breaks a restart: `pulse start` is killed with SIGKILL (its whole
 * process group, as a terminal's kill -9 of the job would) at points spread over a run:
 * starting, producing, the hot path's flush at stop, the lake's sync, the summary. Each
 * time, a restart on the same data dir must exit 0 with every event the stream holds
 * windowed once and in the lake (pulse start exits 1 otherwise; the summary is checked too).
 *
 * KILL_POINTS sets how many points (default 4, to keep `npm test` within its budget);
 * `KILL_POINTS=20 npx vitest run test/e2e/kill-restart.test.ts` runs the twenty.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const POINTS = Number(process.env.KILL_POINTS ?? 4);
/** A short run: a few seconds of producing, then the flush, the lake's sync and the summary. */
const ARGS = [
  'bin/pulse.mjs',
  'start',
  '--duration',
  '3',
  '--rate',
  '2000',
  '--hosts',
  '20',
  '--port',
  '0',
  '--ingest-port',
  '0',
  '--collector-every',
  '0',
  '--agent-every',
  '0',
];

/** Starts a run in its own process group and kills the group after `ms`, or lets it finish first. */
async function killedAfter(dataDir: string, ms: number): Promise<'killed' | 'finished'> {
  const child = spawn(process.execPath, [...ARGS, '--data-dir', dataDir], { stdio: 'ignore', detached: true });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = new Promise<'timer'>((resolve) => setTimeout(() => resolve('timer'), ms));
  if ((await Promise.race([exited.then(() => 'exit' as const), timer])) === 'exit') return 'finished';
  process.kill(-(child.pid as number), 'SIGKILL');
  await exited;
  return 'killed';
}

describe('local mode: kill -9 at any point, then restart', () => {
  it(
    `restarts with every event conserved after a kill at each of ${POINTS} points of a run`,
    async () => {
      // Prepare: how long one whole run takes here, so the points spread over all of it
      const dataDir = mkdtempSync(join(tmpdir(), 'pulse-killpoints-'));
      const t0 = Date.now();
      await run(process.execPath, [...ARGS, '--data-dir', dataDir]);
      const runMs = Date.now() - t0;
      const outcomes: { at: number; kill: string; exit: number; conserved: boolean }[] = [];
      for (let k = 0; k < POINTS; k++) {
        const at = Math.round((runMs * (k + 0.5)) / POINTS);

        // Act: a kill at the k-th point, then a restart on the same data dir
        const kill = await killedAfter(dataDir, at);
        let exit = 0;
        let stdout = '';
        let stderr = '';
        try {
          ({ stdout, stderr } = await run(process.execPath, [...ARGS, '--data-dir', dataDir], { maxBuffer: 1 << 24 }));
        } catch (error) {
          const e = error as { code?: number; stdout?: string; stderr?: string };
          exit = e.code ?? -1;
          stdout = e.stdout ?? '';
          stderr = e.stderr ?? '';
        }
        let s: Partial<
          Record<'stream_events' | 'windowed' | 'late' | 'quarantined' | 'parquet_rows' | 'undecodable', number>
        > = {};
        try {
          s = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as typeof s;
        } catch {
          // no summary: the restart failed (its output is reported below)
        }
        const n = (k: keyof typeof s) => s[k] ?? Number.NaN;
        const conserved =
          n('windowed') + n('late') + n('quarantined') === n('stream_events') &&
          n('parquet_rows') + n('undecodable') === n('stream_events');
        if (exit !== 0 || !conserved)
          process.stdout.write(`\nrestart after a kill at ${at} ms:\n${stderr.slice(-2_000)}\n`);
        outcomes.push({ at, kill, exit, conserved });
      }

      // Assess: every restart exited 0 and conserved every event
      process.stdout.write(`\nkill points (run ${runMs} ms): ${JSON.stringify(outcomes)}\n`);
      expect(outcomes.filter((o) => o.exit !== 0 || !o.conserved)).toEqual([]);
    },
    120_000 + POINTS * 120_000,
  );
});
