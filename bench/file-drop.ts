/**
 * File drop benchmark: a large CSV (default 200 MB) dropped into the local S3 and
 * ingested by the real file-drop code (streamed parse, validation, producer) onto a
 * local Kinesis stream. It measures what the limits are for: the process's peak
 * resident memory (Linux VmHWM) while the whole file goes through, against the issue's
 * bound of 300 MB, and the rows per second. Ends with one JSON line.
 *
 *   npm run bench:file-drop [-- --mb 200]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { createS3Client } from '#core/clients/s3.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { startKinesisServer } from '#local/kinesis-server.js';
import { ensureBucket, startS3Server } from '#local/s3-server.js';
import { createStream } from '#local/streams.js';
import { ingestFile } from '#core/sources/file-drop.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '200' }, serve: { type: 'string' } } });
const targetBytes = Number(values.mb) * 1_000_000;
const HEADER = 'occurred_at,host,metric,value,unit,region,environment,tags.rack\n';
// A day of event time ending now: every row is valid.
const start = Math.floor(Date.now() / 1_000) * 1_000 - 86_400_000;

/** The CSV, generated as it is read: never whole in memory. */
function* csv(): Generator<Buffer> {
  yield Buffer.from(HEADER);
  let bytes = HEADER.length;
  for (let i = 0; bytes < targetBytes; i++) {
    const lines: string[] = [];
    for (let j = 0; j < 1_000; j++, i++) {
      const at = new Date(start + (i % 86_400) * 1_000).toISOString();
      lines.push(
        `${at},host-${String(i % 5_000).padStart(5, '0')},cpu_utilization,${(i % 10_000) / 100},percent,eu-west-1,production,r${i % 40}\n`,
      );
    }
    const chunk = Buffer.from(lines.join(''));
    bytes += chunk.length;
    yield chunk;
  }
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.memoryUsage().rss / 1e6);
}

if (values.serve !== undefined) {
  // The local servers, in a process of their own: the figure is the ingesting process's memory.
  const kinesisServer = await startKinesisServer({ path: join(values.serve, 'kinesis') });
  const s3Server = await startS3Server({ directory: join(values.serve, 's3') });
  process.stdout.write(`${JSON.stringify({ kinesis: kinesisServer.endpoint, s3: s3Server.endpoint })}\n`);
  process.on('SIGTERM', () => {
    void Promise.all([s3Server.stop(), kinesisServer.stop()]).then(() => process.exit(0));
  });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-drop-'));
  const servers = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoints = await new Promise<{ kinesis: string; s3: string }>((resolve) =>
    servers.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { kinesis: string; s3: string })),
  );
  const kinesis = createKinesisClient({ endpoint: endpoints.kinesis });
  const s3 = createS3Client({ endpoint: endpoints.s3 });
  try {
    await createStream(kinesis, 'drop-bench', 4);
    await ensureBucket(s3, 'drop');
    // The object's length must be known up front: counted on a first pass (generated, not kept).
    let length = 0;
    for (const c of csv()) length += c.length;
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'drop',
        Key: 'incoming/big.csv',
        Body: Readable.from(csv()),
        ContentLength: length,
      }),
    );
    const before = peakRssMb();
    const t0 = performance.now();
    const result = await ingestFile(
      s3,
      { kinesis, streamName: 'drop-bench', registry: SchemaRegistry.load() },
      { bucket: 'drop', key: 'incoming/big.csv', eTag: put.ETag },
      Date.now() + 3_600_000,
    );
    const seconds = (performance.now() - t0) / 1_000;
    const peak = peakRssMb();
    process.stderr.write(
      `${(length / 1e6).toFixed(0)} MB, ${result.produced} rows produced, ${result.rejected} rejected in ${seconds.toFixed(1)} s; peak RSS of the ingesting process ${peak} MB (${before} MB before ingesting)\n`,
    );
    console.log(
      JSON.stringify({
        bench: 'file-drop',
        file_mb: Math.round(length / 1e6),
        rows: result.produced,
        rejected: result.rejected,
        rows_per_s: Math.round(result.produced / seconds),
        peak_rss_mb: peak,
        rss_before_mb: before,
        target_peak_rss_mb: 300,
      }),
    );
  } finally {
    kinesis.destroy();
    s3.destroy();
    servers.kill('SIGTERM');
  }
}
