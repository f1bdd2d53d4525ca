/**
 * A mapping's persisted positions: each shard's sequence number, saved under
 * `<data dir>/mappings/<name>.json` so that a restart on the same data dir resumes from
 * them. Written atomically: a kill leaves the previous positions or the new ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '#core/atomic-write.js';

/** Shard id to the sequence number of its last record done (undefined: from the start). */
export type Positions = Record<string, string | undefined>;

/** See the module comment. */
export class PositionsFile {
  /** The positions saved by an earlier run, as they were when this file was opened (undefined: none). */
  readonly saved: Positions | undefined;
  private readonly file: string;

  /** Opens the positions of mapping `name` under `dataDir`, reading what an earlier run saved. */
  constructor(dataDir: string, name: string) {
    this.file = join(dataDir, 'mappings', `${name}.json`);
    this.saved = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Positions) : undefined;
  }

  /** Replaces the saved positions. */
  save(positions: Positions): void {
    writeFileAtomic(this.file, JSON.stringify(positions));
  }
}
