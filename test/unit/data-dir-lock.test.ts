import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir, processStartTicks } from '#local/data-dir-lock.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'pulse-lock-'));

describe('data dir lock', () => {
  it('lets one holder in, refuses a second naming the first, and frees the dir on release', () => {
    // Prepare
    const dir = fresh();
    const first = lockDataDir(dir, 'pulse start');
    const held = JSON.parse(readFileSync(join(dir, 'pulse.lock'), 'utf8'));

    // Act
    let refused: unknown;
    try {
      lockDataDir(dir, 'pulse start');
    } catch (error) {
      refused = error;
    }
    first.release();
    const again = lockDataDir(dir, 'pulse start');

    // Assess
    expect(held).toMatchObject({ pid: process.pid, host: hostname(), command: 'pulse start' });
    expect(held.processStart).toBe(processStartTicks(process.pid));
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toBe(
      `${dir} is in use by pulse start (pid ${process.pid}, since ${held.since}): stop it first, or use another --data-dir`,
    );
    expect(again.tookOver).toBeUndefined();
    again.release();
    expect(existsSync(join(dir, 'pulse.lock'))).toBe(false);
  });

  it('takes over the lock of a process that is gone, and says whose it was', async () => {
    // Prepare: a lock left by a process killed with -9
    const dir = fresh();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const pid = child.pid as number;
    const stale = { pid, processStart: processStartTicks(pid), host: hostname(), command: 'pulse start', since: 'T' };
    writeFileSync(join(dir, 'pulse.lock'), JSON.stringify(stale));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // Act
    const lock = lockDataDir(dir, 'pulse start');

    // Assess
    expect(lock.tookOver).toEqual(stale);
    expect(JSON.parse(readFileSync(join(dir, 'pulse.lock'), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock whose pid now belongs to another process (a different start time)', () => {
    // Prepare: this test's own pid, but a start time that is not this process's
    const dir = fresh();
    const reused = {
      pid: process.pid,
      processStart: (processStartTicks(process.pid) as number) - 1,
      host: hostname(),
      command: 'pulse start',
      since: 'T',
    };
    writeFileSync(join(dir, 'pulse.lock'), JSON.stringify(reused));

    // Act
    const lock = lockDataDir(dir, 'pulse start');

    // Assess
    expect(lock.tookOver).toEqual(reused);
    lock.release();
  });

  it('never takes over a lock held by another machine', () => {
    // Prepare
    const dir = fresh();
    const other = { pid: 1, processStart: 1, host: `${hostname()}-elsewhere`, command: 'pulse start', since: 'T' };
    writeFileSync(join(dir, 'pulse.lock'), JSON.stringify(other));

    // Act / Assess
    expect(() => lockDataDir(dir, 'pulse start')).toThrow(DataDirInUseError);
  });
});
