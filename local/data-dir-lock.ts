/**
 * One data dir, one pipeline: `pulse start` takes `<data dir>/pulse.lock` before anything
 * starts and holds it for the run. The lock is created with O_EXCL (open's `wx`), so of
 * two starts exactly one gets it, and it names its holder: pid, the process's start
 * time (Linux: /proc/<pid>/stat, so a pid reused by another process is told apart),
 * host name, the command and when it started.
 *
 * A lock whose holder is gone (its pid dead, or now another process) is stale: it is
 * taken over, and the caller is told so. Commands that only read the data dir do not
 * take it.
 */
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** What the lock file holds. */
export interface LockHolder {
  pid: number;
  /** The holder's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  processStart: number | null;
  host: string;
  command: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** The data dir is in use by a live pipeline. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `${dataDir} is in use by ${holder.command} (pid ${holder.pid}, since ${holder.since}): stop it first, or use another --data-dir`,
    );
    this.name = 'DataDirInUseError';
  }
}

/** A held lock. */
export interface DataDirLock {
  /** The stale lock that was taken over, if any. */
  tookOver: LockHolder | undefined;
  /** Removes the lock if it is still this process's. */
  release(): void;
}

/** The start time of process `pid` in clock ticks since boot, from /proc (null elsewhere or when gone). */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** The command line of process `pid` (Linux), or null. */
export function processCommandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `holder` still runs: its pid is alive and, where /proc tells, is the same process. */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true; // another machine's (a shared disk): never taken over
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0 || !alive(holder.pid)) return false;
  const start = processStartTicks(holder.pid);
  return holder.processStart === null || start === null || start === holder.processStart;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return typeof holder.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data dir's lock for `command`.
 * @throws DataDirInUseError when a live process holds it
 */
export function lockDataDir(dataDir: string, command: string): DataDirLock {
  const file = join(dataDir, 'pulse.lock');
  const me: LockHolder = {
    pid: process.pid,
    processStart: processStartTicks(process.pid),
    host: hostname(),
    command,
    since: new Date().toISOString(),
  };
  let tookOver: LockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder === undefined) {
        // Created but not yet written (a start in its first instant), or cut short by a kill then.
        let age = 0;
        try {
          age = Date.now() - statSync(file).mtimeMs;
        } catch {
          continue; // removed meanwhile: try again
        }
        if (age < 5_000) {
          throw new DataDirInUseError(dataDir, { ...me, pid: 0, command: 'another pulse command', since: 'just now' });
        }
      } else if (holderAlive(holder)) {
        throw new DataDirInUseError(dataDir, holder);
      }
      tookOver = holder ?? { pid: 0, processStart: null, host: me.host, command: 'unknown', since: 'unknown' };
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      const holder = readHolder(file);
      if (holder?.pid === me.pid && holder.since === me.since) rmSync(file, { force: true });
    };
    process.once('exit', release);
    return { tookOver, release };
  }
  throw new Error(`could not take the lock ${file}: other processes keep replacing it`);
}
