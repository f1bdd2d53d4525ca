import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { LocalPipeline, PipelineStoppedError } from '#local/pipeline.js';

const run = promisify(execFile);

/** The first match of `pattern` in a child's output so far, polled; rejects after 60 s with `what` and the output. */
function outputMatching(output: () => string, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      clearInterval(check);
      reject(new Error(`${what}: ${output()}`));
    }, 60_000);
    const check = setInterval(() => {
      const m = pattern.exec(output());
      if (m) {
        clearInterval(check);
        clearTimeout(t);
        resolve(m);
      }
    }, 100);
  });
}

describe('local mode (pulse start)', () => {
  it('conserves every event: produced = windowed + late + quarantined, and every event is in the lake', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-local-'));
    const pipeline = await LocalPipeline.create({
      registry: SchemaRegistry.load(),
      dataDir,
      hosts: 7,
      rate: 50_000,
      maxEvents: 3_000,
      shards: 3,
    });
    try {
      // Act
      pipeline.run();
      await pipeline.producerDone();
      const summary = await pipeline.stop();
      // Assess: 7 hosts × (5 metrics + 1 log) = 42 events per tick; 72 ticks ≥ 3000
      expect(summary).toMatchObject({
        produced: 3_024,
        windowed: 3_024,
        late: 0,
        quarantined: 0,
        parquet_rows: 3_024,
        dynamodb: 'dynamodb-local',
      });
      expect(summary.windows).toBeGreaterThanOrEqual(35);
      // one file per type per event-time hour the run spans (it may cross an hour boundary)
      expect([2, 4]).toContain(summary.parquet_files);
      expect(pipeline.health().discardedRecords).toBe(0);
    } finally {
      await pipeline.close();
    }
  });

  it('the CLI ends with one JSON summary line, exit 0, and the lake answers pulse query', async () => {
    // Act
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-cli-'));
    const { stdout } = await run('npx', [
      'pulse',
      'start',
      '--events',
      '600',
      '--rate',
      '20000',
      '--hosts',
      '10',
      '--data-dir',
      dataDir,
      // Only the fleet: the collector's servers share its names, and the agent's readings of
      // now would make the query's latest day differ from the fleet's around midnight UTC.
      // Both are tested on their own (test/e2e/sources.test.ts).
      '--collector-every',
      '0',
      '--agent-every',
      '0',
    ]);
    const query = await run('npx', [
      'pulse',
      'query',
      '--data-dir',
      dataDir,
      '--format',
      'json',
      // SQL text, not a day's query: 100 s of event time may cross midnight UTC (the shipped
      // queries are checked on fixed data in test/integration/lake.test.ts).
      "SELECT host, count(*) AS samples FROM silver_metric_samples WHERE metric = 'cpu_utilization' GROUP BY host ORDER BY host",
    ]);
    // Assess
    const last = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(last).toMatchObject({
      produced: 600,
      sources: { fleet: 600, collector: 0, agent: 0, ingest_api: 0, file_drop: 0, otlp: 0 },
      windowed: 600,
      late: 0,
      quarantined: 0,
      parquet_rows: 600,
    });
    expect(Object.keys(last)).toEqual(expect.arrayContaining(['p95_latency_ms', 'events_per_s']));
    // What one event cost in requests and bytes, for pulse cost
    const measured = JSON.parse(readFileSync(join(dataDir, 'measured.json'), 'utf8'));
    expect(measured.eventsPerRecord).toBeGreaterThan(1);
    expect(measured.windowWritesPerEvent).toBeGreaterThan(0);
    expect(measured.windowWritesPerEvent).toBeLessThan(1);
    expect(measured.parquetBytesPerEvent).toBeGreaterThan(0);
    const rows = query.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.host, Number(r.samples)])).toEqual(
      Array.from({ length: 10 }, (_, i) => [`server-${String(i + 1).padStart(3, '0')}`, 10]),
    );
  });

  it('reports a part that stops on an error it does not retry (the stream deleted under it), and abandons', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-stopped-'));
    const pipeline = await LocalPipeline.create({
      registry: SchemaRegistry.load(),
      dataDir,
      hosts: 2,
      rate: 1_000,
      shards: 1,
    });
    const endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'));
    const kinesis = createKinesisClient({ endpoint: endpoints.kinesis });
    try {
      pipeline.run();
      // (both readers have found the shard once the hot path has had records)
      while (pipeline.health().hotPathRecords === 0) await new Promise((r) => setTimeout(r, 50));

      // Act
      await kinesis.send(new DeleteStreamCommand({ StreamName: endpoints.stream }));
      const error = await pipeline.failure();
      await pipeline.abandon();

      // Assess: whichever part met the missing stream first is named, with the cause
      expect(error).toBeInstanceOf(PipelineStoppedError);
      expect(error.message).toMatch(
        /^(the hot path's event source mapping|the delivery stream's reader|the producer) stopped: .+/,
      );
      expect((error.cause as Error).name).toBe('ResourceNotFoundException');
    } finally {
      kinesis.destroy();
      await pipeline.close();
    }
  });

  it('pulse start names the part that stopped and exits 1, instead of crashing', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-cli-stopped-'));
    const child = spawn(
      process.execPath,
      ['bin/pulse.mjs', 'start', '--duration', '0', '--rate', '1000', '--port', '0', '--data-dir', dataDir],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await outputMatching(() => stderr, /running until Ctrl-C/, 'pulse start did not start');
    await new Promise((r) => setTimeout(r, 2_000));
    const endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'));
    const kinesis = createKinesisClient({ endpoint: endpoints.kinesis });

    // Act
    await kinesis.send(new DeleteStreamCommand({ StreamName: endpoints.stream }));
    const code = await exited;
    kinesis.destroy();

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /error: (the hot path's event source mapping|the delivery stream's reader|the producer) stopped: .+\. What the stream holds and the lake's saved positions stay in .+: run pulse start again on it to resume/,
    );
    expect(stderr).not.toMatch(/Unhandled|UnhandledPromiseRejection/);
  });

  it('names a dashboard port in use and stops what it started', async () => {
    // Prepare: something already listens on the port
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      // Act
      const failed = run(process.execPath, [
        'bin/pulse.mjs',
        'start',
        '--events',
        '60',
        '--port',
        String(port),
        '--data-dir',
        mkdtempSync(join(tmpdir(), 'pulse-port-')),
      ]);
      // Assess
      await expect(failed).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining(`pulse: port ${port} is in use: stop what runs there or choose another port`),
      });
    } finally {
      blocker.close();
    }
  });

  it('names a bad data dir, a bad query format and a bad flag value, exit 2', async () => {
    // a path under a regular file can never be a directory (root can write anywhere else)
    const file = join(mkdtempSync(join(tmpdir(), 'pulse-file-')), 'not-a-dir');
    writeFileSync(file, '');
    await expect(run('npx', ['pulse', 'start', '--data-dir', join(file, 'data')])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `pulse: data dir '${join(file, 'data')}' is not writable: choose another with --data-dir`,
      ),
    });
    await expect(run('npx', ['pulse', 'query', '--format', 'xml', 'SELECT 1'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("pulse: --format must be table or json, got 'xml'"),
    });
    await expect(run('npx', ['pulse', 'start', '--rate', 'fast'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("pulse: --rate must be an integer ≥ 1, got 'fast'"),
    });
  });
});

describe('local mode: Ctrl-C and status', () => {
  it('Ctrl-C drains and flushes: the summary still conserves every produced event; status reads the live counters', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-sigint-'));
    const child = spawn(
      process.execPath,
      ['bin/pulse.mjs', 'start', '--duration', '0', '--rate', '3000', '--port', '0', '--data-dir', dataDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [, , dashboard] = await outputMatching(
      () => stderr,
      /dashboard (http:\/\/127\.0\.0\.1:(\d+))/,
      'no dashboard line',
    );
    await new Promise((r) => setTimeout(r, 4_000));
    const status = await run('npx', ['pulse', 'status', '--port', dashboard as string]);
    // Act: Ctrl-C
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Assess
    expect(status.stdout).toMatch(/produced\s+\d+/);
    expect(stderr).toContain('stopping: draining the stream');
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(summary.produced).toBeGreaterThan(1_000);
    expect(summary.windowed + summary.late + summary.quarantined).toBe(summary.produced);
    expect(summary.parquet_rows).toBe(summary.produced);
    expect(code).toBe(0);
  });
});

describe('local mode: hard kill and restart', () => {
  it('a process killed mid-run and restarted on the same data dir ends with every streamed event windowed once and in the lake', async () => {
    // Prepare: run 1, killed hard (SIGKILL) while producing
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-kill-'));
    const first = spawn(
      process.execPath,
      ['bin/pulse.mjs', 'start', '--duration', '0', '--rate', '3000', '--port', '0', '--data-dir', dataDir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    first.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await outputMatching(() => stderr, /running until Ctrl-C/, 'run 1 did not start');
    await new Promise((r) => setTimeout(r, 5_000));
    first.kill('SIGKILL');
    await new Promise((resolve) => first.on('exit', resolve));
    // Act: run 2 on the same data dir
    const { stdout, stderr: err2 } = await run(process.execPath, [
      'bin/pulse.mjs',
      'start',
      '--events',
      '1000',
      '--rate',
      '20000',
      '--port',
      '0',
      '--data-dir',
      dataDir,
    ]);
    // Assess
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(err2).toContain(`resuming from the checkpoints in ${dataDir}`);
    expect(summary.stream_events).toBeGreaterThan(summary.produced); // run 1's events are in the stream too
    expect(summary.windowed + summary.late + summary.quarantined).toBe(summary.stream_events);
    expect(summary.parquet_rows + summary.undecodable).toBe(summary.stream_events);
  });
});
