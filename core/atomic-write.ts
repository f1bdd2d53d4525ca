/**
 * Crash-safe file writes for the data dir: the bytes go to a temporary name beside
 * the target, are flushed to disk, and the temporary file is renamed over the
 * target. A kill -9 at any instant leaves either the old file or the new one, never
 * a file cut short (rename is atomic within one file system).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `data` to `file` through a temporary name and a rename; creates the directory. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  // pid and a counter: two writers of one file (two processes, or two calls in flight) never share a temp name.
  const temp = `${file}.${process.pid}.${++counter}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

let counter = 0;
