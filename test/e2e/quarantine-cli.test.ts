import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listShards } from '#core/clients/kinesis.js';
import type { LocalEndpoints } from '#local/endpoints.js';
import { SideOutputStore } from '#core/projections/side-outputs.js';
import { useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';

const run = promisify(execFile);
const kinesisLocal = useLocalKinesis();
const dynamoLocal = useLocalDynamo();

describe('pulse quarantine', () => {
  it('lists quarantined records with their reasons and shows one with its exact bytes', async () => {
    // Prepare: a local stack as pulse start leaves it, with two quarantined records
    const stream = await kinesisLocal.newStream(2);
    const table = await dynamoLocal.newTable();
    const [s0, s1] = (await listShards(kinesisLocal.kinesis, stream)).map((s) => s.ShardId as string);
    const store = new SideOutputStore(dynamoLocal.ddb, table, 30);
    const poison = Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0x00]);
    const quarantined = (seq: string, code: string, reason: string, data: Buffer) => ({
      sequenceNumber: seq,
      subSequenceNumber: 2,
      partitionKey: 'web-1',
      data,
      code,
      reason,
    });
    await store.write(
      s0 as string,
      [quarantined('100', 'unknown-fingerprint', 'unknown schema fingerprint 0x0807060504030201', poison)],
      [],
    );
    await store.write(
      s1 as string,
      [quarantined('200', 'bad-magic', 'not a single-object Avro record', Buffer.from('{}'))],
      [],
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-quarantine-'));
    const endpoints: LocalEndpoints = {
      kinesis: kinesisLocal.server.endpoint,
      stream,
      s3: 'http://127.0.0.1:1',
      dynamodb: dynamoLocal.server.endpoint,
      windowTable: table,
    };
    writeFileSync(join(dataDir, 'endpoints.json'), JSON.stringify(endpoints));
    const pulse = (...args: string[]) =>
      run(process.execPath, ['bin/pulse.mjs', 'quarantine', ...args, '--data-dir', dataDir]);
    const out = join(dataDir, 'record.bin');

    // Act
    const list = await pulse('list', '--format', 'json');
    const show = await pulse('show', s0 as string, '100:2', '--out', out);

    // Assess
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      {
        shard: s0,
        position: '100:2',
        code: 'unknown-fingerprint',
        reason: 'unknown schema fingerprint 0x0807060504030201',
        bytes: 12,
      },
      { shard: s1, position: '200:2', code: 'bad-magic', reason: 'not a single-object Avro record', bytes: 2 },
    ]);
    expect(show.stdout).toContain('reason   unknown schema fingerprint 0x0807060504030201');
    expect(show.stdout).toContain('000000  c3 01 01 02 03 04 05 06 07 08 ff 00');
    expect(readFileSync(out)).toEqual(poison);
  });

  it('says what to do when no local stack runs or the record is not there', async () => {
    // Act / Assess
    await expect(
      run(process.execPath, ['bin/pulse.mjs', 'quarantine', 'list', '--data-dir', '/nonexistent']),
    ).rejects.toMatchObject({
      code: 2,
      stderr:
        'pulse: no running pulse start found in /nonexistent: the local windows live only while it runs; start it, or use --aws --table NAME --stream NAME\n',
    });
    await expect(run(process.execPath, ['bin/pulse.mjs', 'quarantine', 'list', '--aws'])).rejects.toMatchObject({
      code: 2,
      stderr: 'pulse: --aws needs --table and --stream: the WindowTableName and StreamName outputs of the stack\n',
    });
  });
});
