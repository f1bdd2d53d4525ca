/**
 * Histogram samples (MetricSample v3) in the lake: the Firehose transform's rows carry the
 * `histogram` struct, Parquet keeps it (the columns local delivery writes, from the Glue
 * schema's generation), DuckDB queries it with the syntax Athena uses (`histogram.count`,
 * 1-based `bucket_counts[i]`), files written before v3 (no such column) still query, and
 * the archive gives the histogram back to a rebuild.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MetricSample } from '#core/contract/events.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { WriterVersions } from '#core/contract/writer-versions.js';
import { lakeColumns } from '#core/lake/columns.js';
import { LakeQuery } from '#core/lake/lake-query.js';
import { jsonLinesToParquet } from '#core/lake/parquet.js';
import { LakeTransform } from '#core/lake/transform.js';
import { ArchiveReader } from '#core/ops/archive.js';
import { histogramOf, metricSample } from '#test/helpers/events.js';

const registry = SchemaRegistry.load();
const AT = Date.UTC(2026, 11, 1, 10, 15);
const latency = histogramOf([0.4, 3, 7.5, 12, 12, 48.1], [1, 5, 10, 25, 50]);
const HISTOGRAM_GLUE =
  'struct<count:bigint,sum:double,min:double,max:double,bucket_bounds:array<double>,bucket_counts:array<bigint>>';

/** The events of the new file: a histogram sample, one without observations, and a plain sample. */
const events: MetricSample[] = [
  metricSample(1, {
    occurred_at: new Date(AT),
    metric: 'http_server_duration',
    unit: 'ms',
    value: 83 / 6,
    histogram: latency,
  }),
  metricSample(2, {
    occurred_at: new Date(AT + 1_000),
    metric: 'http_server_duration',
    unit: 'ms',
    value: 0,
    histogram: histogramOf([], [1, 5]),
  }),
  metricSample(3, { occurred_at: new Date(AT + 2_000), value: 42.5, source: 'agent' }),
];

/** Parquet bytes of events, through the real transform, as local delivery writes them. */
async function parquetOf(
  duck: Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>['connect']>>,
  columns: ReturnType<typeof lakeColumns>,
  list: MetricSample[],
  shardId: string,
): Promise<Buffer> {
  const encoder = new SingleObjectEncoder();
  const writers = new WriterVersions(registry);
  const out = new LakeTransform(registry, 'MetricSample').transform(
    list.map((e, i) => ({
      recordId: String(i),
      approximateArrivalTimestamp: AT + 5_000,
      data: encoder.encode(writers.of('MetricSample', e), e).toString('base64'),
      kinesisRecordMetadata: {
        shardId,
        partitionKey: e.host,
        approximateArrivalTimestamp: AT + 5_000,
        sequenceNumber: '49650000000000000000000000000000000000000000000000000001',
        subsequenceNumber: i,
      },
    })),
  );
  expect(out.map((o) => o.result)).toEqual(list.map(() => 'Ok'));
  return jsonLinesToParquet(
    duck,
    columns,
    out.map((o) => Buffer.from(o.data, 'base64').toString('utf8').trim()),
  );
}

function writeLakeFile(dir: string, hour: number, name: string, bytes: Buffer): void {
  const folder = join(
    dir,
    'metric_samples',
    'year=2026',
    'month=12',
    'day=01',
    `hour=${String(hour).padStart(2, '0')}`,
  );
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, name), bytes);
}

let mixedDir: string;
let oldOnlyDir: string;

beforeAll(async () => {
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  const columns = lakeColumns(registry, 'MetricSample');
  // a file from before v3: the columns of v2, no histogram column at all
  const v2Columns = columns.filter((c) => c.name !== 'histogram');
  const old = await parquetOf(
    duck,
    v2Columns,
    [metricSample(9, { occurred_at: new Date(AT - 3_600_000) })],
    'shardId-000000000001',
  );
  mixedDir = mkdtempSync(join(tmpdir(), 'pulse-lake-histogram-'));
  oldOnlyDir = mkdtempSync(join(tmpdir(), 'pulse-lake-v2-'));
  writeLakeFile(mixedDir, 9, 'old.parquet', old);
  writeLakeFile(oldOnlyDir, 9, 'old.parquet', old);
  writeLakeFile(mixedDir, 10, 'new.parquet', await parquetOf(duck, columns, events, 'shardId-000000000000'));
  duck.closeSync();
}, 60_000);

describe('the lake carries histograms', () => {
  it('generates one Glue struct column and its DuckDB STRUCT from the .avsc', () => {
    // Act
    const column = lakeColumns(registry, 'MetricSample').find((c) => c.name === 'histogram');
    // Assess
    expect(column && [column.glueType, column.duckdbType]).toEqual([
      HISTOGRAM_GLUE,
      'STRUCT(count BIGINT, sum DOUBLE, min DOUBLE, max DOUBLE, bucket_bounds DOUBLE[], bucket_counts BIGINT[])',
    ]);
  });

  it('queries a histogram from Parquet with Athena syntax; plain samples and pre-v3 files read null', async () => {
    // Prepare
    const lake = await LakeQuery.open(registry, mixedDir);
    try {
      // Act
      const rows = await lake.query(
        `SELECT producer_seq, value, histogram IS NULL AS plain, histogram.count AS observations,
                histogram.sum AS total, histogram.min AS lo, histogram.max AS hi,
                histogram.bucket_bounds AS bounds, histogram.bucket_counts AS counts,
                histogram.bucket_counts[4] AS fourth
         FROM silver_metric_samples ORDER BY producer_seq`,
      );
      // Assess
      expect(rows).toEqual([
        {
          producer_seq: '1',
          value: 83 / 6,
          plain: false,
          observations: '6',
          total: 83,
          lo: 0.4,
          hi: 48.1,
          bounds: [1, 5, 10, 25, 50],
          counts: ['1', '1', '1', '2', '1', '0'],
          fourth: '2',
        },
        {
          producer_seq: '2',
          value: 0,
          plain: false,
          observations: '0',
          total: 0,
          lo: null,
          hi: null,
          bounds: [1, 5],
          counts: ['0', '0', '0'],
          fourth: null,
        },
        ...[3, 9].map((seq) => ({
          producer_seq: String(seq),
          value: 42.5,
          plain: true,
          observations: null,
          total: null,
          lo: null,
          hi: null,
          bounds: null,
          counts: null,
          fourth: null,
        })),
      ]);
      const observations = await lake.query(
        `SELECT metric, sum(coalesce(histogram.count, 1)) AS observations, count(*) AS samples
         FROM silver_metric_samples GROUP BY metric ORDER BY metric`,
      );
      expect(observations).toEqual([
        { metric: 'cpu_utilization', observations: '2', samples: '2' },
        { metric: 'http_server_duration', observations: '6', samples: '2' },
      ]);
    } finally {
      lake.close();
    }
  });

  it('still queries a lake of files written before v3 only: the views see a null histogram column', async () => {
    // Prepare
    const lake = await LakeQuery.open(registry, oldOnlyDir);
    try {
      // Act
      const rows = await lake.query('SELECT producer_seq, histogram, histogram.count AS n FROM silver_metric_samples');
      const gold = await lake.query('SELECT samples FROM gold_metrics_hourly');
      const types = await lake.query(
        "SELECT column_type FROM (DESCRIBE metric_samples) WHERE column_name = 'histogram'",
      );
      // Assess
      expect(rows).toEqual([{ producer_seq: '9', histogram: null, n: null }]);
      expect(gold).toEqual([{ samples: '1' }]);
      expect(types.map((t) => t.column_type)).toEqual([
        lakeColumns(registry, 'MetricSample').find((c) => c.name === 'histogram')?.duckdbType,
      ]);
    } finally {
      lake.close();
    }
  });

  it('gives the histogram back to a rebuild from the archive', async () => {
    // Prepare
    const archive = await ArchiveReader.open(registry, mixedDir);
    try {
      // Act
      const batches: MetricSample[] = [];
      for await (const batch of archive.records('shardId-000000000000', 10))
        for (const r of batch) for (const e of r.events) batches.push(e.event as MetricSample);
      // Assess
      expect(batches.map((e) => [e.producer_seq, e.histogram])).toEqual([
        [1, latency],
        [2, histogramOf([], [1, 5])],
        [3, null],
      ]);
    } finally {
      archive.close();
    }
  });
});
