/**
 * A local lake for a test file: s3rver and DuckDB, and a way to archive a stream
 * into it with the real local delivery (the same transform and Parquet as
 * `pulse start`), delivering every third batch twice as Firehose may.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';
import { createS3Client } from '#core/clients/s3.js';
import { fromLambdaRecords } from '#core/contract/consumer.js';
import { EVENT_TYPES } from '#core/contract/events.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { lakeColumns } from '#core/lake/columns.js';
import { syncLake } from '#core/lake/lake-query.js';
import { LocalDelivery } from '#core/lake/local-delivery.js';
import { LakeTransform } from '#core/lake/transform.js';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { MemoryDestination } from './memory-destination.js';
import { ensureBucket, startS3Server } from '#local/s3-server.js';

/** What {@link useLocalLake} gives a test. */
export interface LocalLake {
  s3: S3Client;
  /** The local S3's endpoint. */
  endpoint: string;
  /**
   * Archives everything the stream holds into a bucket (a new one by default), and
   * syncs it to a new directory. @returns the bucket and the directory (`<table>/year=…/*.parquet`)
   */
  archive(
    kinesis: KinesisClient,
    streamName: string,
    registry: SchemaRegistry,
    bucket?: string,
  ): Promise<{ bucket: string; dir: string }>;
}

/** Registers hooks; the returned object is filled before tests run. */
export function useLocalLake(): LocalLake {
  const ctx = {} as LocalLake;
  let stop: (() => Promise<void>) | undefined;
  let duck: DuckDBConnection;
  beforeAll(async () => {
    const server = await startS3Server({ directory: mkdtempSync(join(tmpdir(), 'pulse-lake-s3-')) });
    stop = server.stop;
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    ctx.s3 = createS3Client({ endpoint: server.endpoint });
    ctx.endpoint = server.endpoint;
    ctx.archive = async (kinesis, streamName, registry, bucket = `lake-${randomUUID().slice(0, 8)}`) => {
      await ensureBucket(ctx.s3, bucket);
      const deliveries = EVENT_TYPES.map((type) => {
        const transform = new LakeTransform(registry, type);
        return new LocalDelivery({
          s3: ctx.s3,
          bucket,
          eventType: type,
          columns: lakeColumns(registry, type),
          transform: async (event) => ({ records: transform.transform(event.records) }),
          duck,
        });
      });
      let batches = 0;
      await new KinesisEventSourceMapping({
        kinesis,
        streamName,
        batchSize: 25,
        onFailure: new MemoryDestination(),
        fn: async (event) => {
          const { shardId, records } = fromLambdaRecords(event.Records);
          const times = ++batches % 3 === 0 ? 2 : 1; // Firehose delivers at least once
          for (let i = 0; i < times; i++) for (const d of deliveries) await d.put(records, shardId);
        },
      }).drain();
      for (const d of deliveries) await d.flush();
      const dir = mkdtempSync(join(tmpdir(), 'pulse-lake-'));
      await syncLake(ctx.s3, bucket, dir);
      return { bucket, dir };
    };
  }, 60_000);
  afterAll(async () => {
    ctx.s3?.destroy();
    duck?.closeSync();
    await stop?.();
  });
  return ctx;
}
