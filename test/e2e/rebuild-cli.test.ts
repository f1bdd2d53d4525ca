import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import type { LocalEndpoints } from '#local/endpoints.js';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { MemoryDestination } from '#test/helpers/memory-destination.js';
import { Producer } from '#core/produce/producer.js';
import { resourceNames } from '#core/resources.js';
import { windowingConfig } from '#core/windows/config.js';
import { metricBody } from '#test/helpers/events.js';
import { hotPathFunction } from '#test/helpers/hot-path-harness.js';
import { useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';
import { useLocalLake } from '#test/helpers/local-lake.js';

const run = promisify(execFile);
const kinesis = useLocalKinesis();
const dynamo = useLocalDynamo();
const lake = useLocalLake();
const registry = SchemaRegistry.load();

describe('pulse rebuild', () => {
  it('rebuilds the running local stack from its stream and from its archive, and finds the live windows equal', async () => {
    // Prepare: a local stack as pulse start leaves it, its windows built by the hot path
    const stream = await kinesis.newStream(1);
    const table = await dynamo.newTable();
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 600_000;
    const producer = await Producer.create({ kinesis: kinesis.kinesis, streamName: stream, registry, lingerMs: 5 });
    for (let i = 0; i < 50; i++) {
      await producer.put('MetricSample', metricBody({ value: i, occurred_at: new Date(base + i * 5_000) }));
    }
    await producer.close();
    await new KinesisEventSourceMapping({
      kinesis: kinesis.kinesis,
      streamName: stream,
      fn: hotPathFunction({ ddb: dynamo.ddb, tableName: table, registry, config: windowingConfig() }).fn,
      onFailure: new MemoryDestination(),
    }).drain();
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-rebuild-'));
    await lake.archive(kinesis.kinesis, stream, registry, resourceNames('local').lakeBucket);
    const endpoints: LocalEndpoints = {
      kinesis: kinesis.server.endpoint,
      stream,
      s3: lake.endpoint,
      dynamodb: dynamo.server.endpoint,
      windowTable: table,
    };
    writeFileSync(join(dataDir, 'endpoints.json'), JSON.stringify(endpoints));

    // Act
    const { stdout } = await run(process.execPath, [
      'bin/pulse.mjs',
      'rebuild',
      '--from',
      new Date(base - 3_600_000).toISOString(),
      '--to',
      String(base + 3_600_000),
      '--data-dir',
      dataDir,
    ]);

    const range = ['--from', new Date(base - 3_600_000).toISOString(), '--to', String(base + 3_600_000)];
    const archived = await run(process.execPath, [
      'bin/pulse.mjs',
      'rebuild',
      ...range,
      '--source',
      'archive',
      '--data-dir',
      dataDir,
    ]);

    // Assess
    expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      source: 'stream',
      events: 50,
      differing: 0,
      copied: 0,
    });
    expect(JSON.parse(archived.stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      source: 'archive',
      events: 50,
      differing: 0,
    });
    expect(archived.stderr).toMatch(/^archive: \d+ new Parquet files from s3:\/\/pulse-local-lake in /);
    await expect(
      run(process.execPath, ['bin/pulse.mjs', 'rebuild', ...range, '--stream-from', '1', '--data-dir', dataDir]),
    ).rejects.toMatchObject({
      code: 2,
      stderr: 'pulse: --stream-from needs --source archive: the records before that time must come from the archive\n',
    });
    await expect(
      run(process.execPath, ['bin/pulse.mjs', 'rebuild', '--from', 'yesterday', '--to', '1', '--data-dir', dataDir]),
    ).rejects.toMatchObject({
      code: 2,
      stderr: "pulse: --from must be an ISO-8601 time (2026-11-22T10:00:00Z) or epoch milliseconds, got 'yesterday'\n",
    });
    // pulse redrive on the same stack: nothing failed, so nothing to rebuild or remove
    const redriven = await run(process.execPath, ['bin/pulse.mjs', 'redrive', '--data-dir', dataDir]);
    expect(JSON.parse(redriven.stdout)).toEqual({ objects: 0, records: 0, events: 0, windowsRepaired: 0 });
  }, 120_000);
});
