import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '#core/clients/s3.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import type { LocalServer } from '#local/kinesis-server.js';
import { ensureBucket, startS3Server } from '#local/s3-server.js';
import { FILE_DROP_LIMITS, ingestFile } from '#core/sources/file-drop.js';
import { readAll, useLocalKinesis } from '#test/helpers/local-kinesis.js';

const registry = SchemaRegistry.load();
const kinesis = useLocalKinesis();
const BUCKET = 'drop-limits';
let server: LocalServer;
let s3: S3Client;

beforeAll(async () => {
  server = await startS3Server({ directory: join(mkdtempSync(join(tmpdir(), 'pulse-drop-limits-')), 's3') });
  s3 = createS3Client({ endpoint: server.endpoint });
  await ensureBucket(s3, BUCKET);
});
afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

const HEADER = 'occurred_at,host,metric,value,unit,region,environment\n';
const row = (host: string, value: number) =>
  `2026-12-07T03:00:00Z,${host},cpu_utilization,${value},percent,local,test\n`;
const jsonRow = (host: string) =>
  `${JSON.stringify({ occurred_at: '2026-12-07T03:00:00Z', host, metric: 'cpu_utilization', value: 1, unit: 'percent', region: 'r', environment: 'e' })}\n`;

/** Drops `body` as `incoming/<name>`, ingests it, and reads back the stream and the errors file. */
async function drop(name: string, body: string | Buffer, limits = FILE_DROP_LIMITS) {
  const streamName = await kinesis.newStream(1);
  const key = `incoming/${name}`;
  const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const result = await ingestFile(
    s3,
    { kinesis: kinesis.kinesis, streamName, registry },
    { bucket: BUCKET, key, eTag: put.ETag },
    Date.now() + 60_000,
    limits,
  );
  const stream = await readAll(kinesis.kinesis, streamName, registry);
  let errors: Record<string, unknown>[] = [];
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `failed/${name}.errors.jsonl` }));
    errors = (await got.Body?.transformToString())
      ?.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>) as Record<string, unknown>[];
  } catch {
    // no errors file
  }
  return { result, hosts: stream.map((e) => (e.event as { host: string }).host), errors };
}

describe('file drop limits', () => {
  it("reads Excel's UTF-8 byte order mark as nothing: the first column is the header's", async () => {
    // Act
    const { result, hosts } = await drop('excel.csv', `\uFEFF${HEADER}${row('bom-1', 1)}${row('bom-2', 2)}`);

    // Assess
    expect([result.outcome, result.produced, result.rejected]).toEqual(['processed', 2, 0]);
    expect(hosts).toEqual(['bom-1', 'bom-2']);
  });

  it('stops a quote left open at line 2 of a large file at the record limit, naming the line', async () => {
    // Prepare: 2 MB after the open quote, with a record limit of 64 KiB
    const body = `${HEADER}2026-12-07T03:00:00Z,"open,cpu_utilization,1,percent,r,e\n${row('after', 1).repeat(30_000)}`;

    // Act
    const { result, hosts, errors } = await drop('open-quote.csv', body);

    // Assess
    expect([result.outcome, result.produced, hosts.length]).toEqual(['processed', 0, 0]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      line: 2,
      field: 'row',
      reason: 'a record is longer than 65536 bytes (a quote not closed?): the rest of the file could not be read',
    });
    expect((errors[0]?.row as string).length).toBe(1_025); // cut to 1,024 characters and an ellipsis
  });

  it('rejects a JSON line over the record limit without reading it into memory, and reads on', async () => {
    // Prepare: a 200 KB line between two good ones (BOM first)
    const body = `\uFEFF${jsonRow('j-1')}{"pad":"${'x'.repeat(200_000)}"}\n${jsonRow('j-3')}`;

    // Act
    const { result, hosts, errors } = await drop('long-line.jsonl', body);

    // Assess
    expect([result.outcome, result.produced, result.rejected]).toEqual(['processed', 2, 1]);
    expect(hosts).toEqual(['j-1', 'j-3']);
    expect(errors.map((e) => [e.line, e.field, e.reason])).toEqual([
      [2, 'row', 'line is longer than 65536 bytes: one event per line, within the limit'],
    ]);
  });

  it('moves a file above the size limit to failed/ unread, with the reason', async () => {
    // Act
    const { result, hosts, errors } = await drop('big.csv', `${HEADER}${row('big', 1)}`, {
      ...FILE_DROP_LIMITS,
      maxObjectBytes: 40,
    });

    // Assess
    expect([result.outcome, hosts]).toEqual(['failed', []]);
    expect(errors).toEqual([
      {
        line: 0,
        field: 'file',
        reason: `file is ${HEADER.length + row('big', 1).length} bytes, above the 40-byte limit: split it into smaller files`,
        row: '',
      },
    ]);
  });

  it('reads at most the row limit, keeps the file under failed/ and says from which line', async () => {
    // Act
    const { result, hosts, errors } = await drop(
      'many.csv',
      `${HEADER}${[1, 2, 3, 4, 5].map((i) => row(`r-${i}`, i)).join('')}`,
      {
        ...FILE_DROP_LIMITS,
        maxRows: 3,
      },
    );

    // Assess
    expect([result.outcome, result.produced]).toEqual(['failed', 3]);
    expect(hosts).toEqual(['r-1', 'r-2', 'r-3']);
    expect(errors.map((e) => [e.line, e.field])).toEqual([[5, 'file']]);
    expect(errors[0]?.reason).toMatch(/^file has more than 3 rows: rows from this line on were not read/);
  });

  it('keeps the first rejected rows, each cut to length, and counts the rest', async () => {
    // Act: five bad rows, two kept, rows cut to 10 characters
    const bad = Array.from({ length: 5 }, (_, i) => `2026-12-07T03:00:00Z,h${i},cpu_utilization,oops,percent,r,e\n`);
    const { result, errors } = await drop('bad.csv', `${HEADER}${bad.join('')}`, {
      ...FILE_DROP_LIMITS,
      maxErrorsKept: 2,
      maxErrorRowChars: 10,
    });

    // Assess
    expect([result.produced, result.rejected]).toEqual([0, 5]);
    expect(errors.map((e) => e.row ?? e.omitted)).toEqual(['2026-12-07…', '2026-12-07…', 3]);
  });
});
