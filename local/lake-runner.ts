/**
 * The lake in local mode: a local delivery stream per event type (the real Firehose
 * transform, Parquet through DuckDB, hive prefixes in the local S3) behind a local event
 * source mapping that reads the stream about once a second, as Firehose does. It writes
 * Parquet every {@link LAKE_FLUSH_MS}, and saves the mapping's positions only once what
 * they cover is in S3, as Firehose checkpoints only after delivery: a restart resumes there.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { fromLambdaRecords } from '#core/contract/consumer.js';
import { EVENT_TYPES, type EventType } from '#core/contract/events.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { lakeColumns } from '#core/lake/columns.js';
import { LocalDelivery } from '#core/lake/local-delivery.js';
import { LakeTransform } from '#core/lake/transform.js';
import type { LambdaKinesisEvent } from '#core/lambda/events.js';
import { KinesisEventSourceMapping } from './event-source-mapping.js';
import { S3FailureDestination } from './failure-destination.js';
import type { PositionsFile } from './positions.js';
import type { RunMeter } from './run-meter.js';
import type { LocalClients, LocalNames } from './servers.js';

/** How often the local delivery stream writes Parquet (Firehose's buffer interval). */
export const LAKE_FLUSH_MS = 10_000;

/** What the lake runs against. */
export interface LakeRunnerOptions {
  clients: LocalClients;
  names: LocalNames;
  registry: SchemaRegistry;
  /** The delivery mapping's saved positions. */
  positions: PositionsFile;
  meter: RunMeter;
}

/** See the module comment. */
export class LakeRunner {
  private constructor(
    /** The mapping that reads the stream for the deliveries. */
    readonly mapping: KinesisEventSourceMapping,
    /** One delivery stream per event type. */
    readonly deliveries: Map<EventType, LocalDelivery>,
    private readonly positions: PositionsFile,
    private readonly duck: { instance: DuckDBInstance; connection: DuckDBConnection },
  ) {}

  /** Opens DuckDB and wires the deliveries and their mapping (not yet running). */
  static async create(o: LakeRunnerOptions): Promise<LakeRunner> {
    const { kinesis, s3 } = o.clients;
    const { names, registry, positions, meter } = o;
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const deliveries = new Map<EventType, LocalDelivery>();
    for (const type of EVENT_TYPES) {
      const transform = new LakeTransform(registry, type);
      deliveries.set(
        type,
        new LocalDelivery({
          s3,
          bucket: names.lakeBucket,
          eventType: type,
          columns: lakeColumns(registry, type),
          transform: async (event) => ({ records: transform.transform(event.records) }),
          duck: connection,
          // The runner flushes on its own clock (LAKE_FLUSH_MS) so positions are saved only
          // once everything before them is in S3, as Firehose checkpoints only after delivery.
          bufferMs: Number.POSITIVE_INFINITY,
          bufferBytes: Number.POSITIVE_INFINITY,
        }),
      );
    }
    const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${names.stream}`;
    const flushed = { at: Date.now(), saveNext: false };
    const mapping = new KinesisEventSourceMapping({
      kinesis,
      streamName: names.stream,
      onCheckpoint: (p) => {
        if (!flushed.saveNext) return;
        flushed.saveNext = false;
        positions.save(p);
      },
      // Firehose reads each shard about once a second.
      batchSize: 1_000,
      maxBatchingWindowMs: 1_000,
      pollIntervalMs: 1_000,
      onFailure: new S3FailureDestination(s3, names.lakeBucket, 'delivery', streamArn),
      fn: async (event: LambdaKinesisEvent) => {
        const t0 = performance.now();
        const { shardId, records } = fromLambdaRecords(event.Records);
        const inputs = LocalDelivery.inputsOf(records, shardId);
        for (const d of deliveries.values()) await d.putInputs(inputs);
        if (Date.now() - flushed.at >= LAKE_FLUSH_MS) {
          for (const d of deliveries.values()) await d.flush();
          flushed.at = Date.now();
          flushed.saveNext = true; // this batch is in S3: its position may be saved
        }
        meter.timing.lakeMs += performance.now() - t0;
      },
    });
    return new LakeRunner(mapping, deliveries, positions, { instance, connection });
  }

  /**
   * Continues from the positions an earlier run saved, if any (call it only on that run's
   * stream: positions on a new stream mean nothing). @returns whether there were any
   */
  resume(): boolean {
    if (!this.positions.saved) return false;
    this.mapping.resumeFrom(this.positions.saved);
    return true;
  }

  /** Writes what every delivery holds to Parquet in S3. */
  async flush(): Promise<void> {
    for (const d of this.deliveries.values()) await d.flush();
  }

  /** Saves the mapping's positions (after a {@link flush}: what they cover is in S3). */
  savePositions(): void {
    this.positions.save(this.mapping.positions());
  }

  /** Parquet files and rows written in this run, over every event type. */
  written(): { parquetFiles: number; parquetRows: number } {
    let parquetFiles = 0;
    let parquetRows = 0;
    for (const d of this.deliveries.values()) {
      parquetFiles += d.stats.parquetFiles;
      parquetRows += d.stats.rowsWritten;
    }
    return { parquetFiles, parquetRows };
  }

  /** Closes DuckDB. */
  close(): void {
    this.duck.connection.closeSync();
    this.duck.instance.closeSync();
  }
}
