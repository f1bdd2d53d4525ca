import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '#core/atomic-write.js';
import { syncLake } from '#core/lake/lake-query.js';
import { ensureBucket } from '#local/s3-server.js';
import { useLocalLake } from '#test/helpers/local-lake.js';

const lake = useLocalLake();

describe('local lake cache after a hard kill', () => {
  it('fetches again a cached Parquet file cut short, and leaves whole ones alone', async () => {
    // Prepare: two objects in the lake's layout, synced once; then one cached copy cut
    // short as a kill -9 in the middle of the old in-place write left it
    const bucket = 'sync-after-kill';
    await ensureBucket(lake.s3, bucket);
    const keys = [
      'metric_samples/year=2026/month=12/day=07/hour=02/a.parquet',
      'metric_samples/year=2026/month=12/day=07/hour=03/b.parquet',
    ];
    const bodies = [Buffer.alloc(10_000, 1), Buffer.alloc(7_000, 2)];
    for (const [i, key] of keys.entries()) {
      await lake.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bodies[i] }));
    }
    const dir = mkdtempSync(join(tmpdir(), 'pulse-sync-'));
    const first = await syncLake(lake.s3, bucket, dir);
    truncateSync(join(dir, keys[0] as string), 4_096);

    // Act
    const second = await syncLake(lake.s3, bucket, dir);

    // Assess: only the cut file was fetched, and both are whole
    expect([first, second]).toEqual([2, 1]);
    expect(readFileSync(join(dir, keys[0] as string)).equals(bodies[0] as Buffer)).toBe(true);
    expect(readFileSync(join(dir, keys[1] as string)).equals(bodies[1] as Buffer)).toBe(true);
  });
});

describe('writeFileAtomic', () => {
  it('replaces a file whole, creates its directory and leaves no temporary file', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'pulse-atomic-'));
    const file = join(dir, 'mappings', 'delivery.json');
    writeFileAtomic(file, '{"old":true}');

    // Act
    writeFileAtomic(file, Buffer.from('{"shard-0":"42"}'));

    // Assess
    expect(readFileSync(file, 'utf8')).toBe('{"shard-0":"42"}');
    expect(readdirSync(join(dir, 'mappings'))).toEqual(['delivery.json']);
  });

  it('leaves the old file and no temporary file when the write fails', () => {
    // Prepare: the target is a directory, so the rename fails after the bytes are written
    const dir = mkdtempSync(join(tmpdir(), 'pulse-atomic-'));
    const target = join(dir, 'taken');
    writeFileAtomic(join(target, 'inside'), 'x');
    writeFileSync(join(dir, 'keep.json'), 'kept');

    // Act / Assess
    expect(() => writeFileAtomic(target, 'new')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir).sort()).toEqual(['keep.json', 'taken']);
    expect(existsSync(join(target, 'inside'))).toBe(true);
  });
});
