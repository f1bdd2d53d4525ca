/**
 * Local delivery: what Firehose does in AWS, on a laptop. It reads Kinesis
 * records, de-aggregates KPL as Firehose does, runs the same transform handler,
 * buffers rows per event-time partition by size and time, and writes Parquet (the
 * same columns and types) to an S3-compatible store under the same hive prefixes;
 * records the transform fails go, with their bytes and reason, under the same
 * error prefix.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { GetRecordsRecord } from '#core/contract/consumer.js';
import type { EventType } from '#core/contract/events.js';
import { deaggregate } from '#core/contract/kpl.js';
import { LAKE_TABLES, type LakeColumn } from './columns.js';
import { errorPrefix } from './layout.js';
import { jsonLinesToParquet } from './parquet.js';
import { hivePrefix, type PartitionKeys } from './rows.js';
import type { FirehoseInputRecord, FirehoseOutputRecord } from './transform.js';

/** The transformation Lambda, as local delivery calls it. */
export type TransformFunction = (event: {
  records: FirehoseInputRecord[];
}) => Promise<{ records: FirehoseOutputRecord[] }>;

/** Settings of a {@link LocalDelivery}. */
export interface LocalDeliveryOptions {
  s3: Pick<S3Client, 'send'>;
  bucket: string;
  eventType: EventType;
  columns: readonly LakeColumn[];
  transform: TransformFunction;
  duck: DuckDBConnection;
  /** Flush a partition's buffer at this many bytes of JSON rows (default 8 MiB). */
  bufferBytes?: number;
  /** Flush buffers older than this (default 60 s), checked on each put. */
  bufferMs?: number;
  /** Records per transform invocation (default 500). */
  transformBatch?: number;
}

/** Counters of a delivery stream. */
export interface DeliveryStats {
  recordsIn: number;
  rowsWritten: number;
  dropped: number;
  failed: number;
  parquetFiles: number;
  parquetBytes: number;
  jsonBytes: number;
}

interface Buffer_ {
  keys: PartitionKeys;
  /** JSON rows as the transform returned them (one object per line, no newline). */
  lines: string[];
  bytes: number;
  since: number;
}

/** A local Firehose delivery stream for one event type. */
export class LocalDelivery {
  readonly stats: DeliveryStats = {
    recordsIn: 0,
    rowsWritten: 0,
    dropped: 0,
    failed: 0,
    parquetFiles: 0,
    parquetBytes: 0,
    jsonBytes: 0,
  };
  private readonly buffers = new Map<string, Buffer_>();
  private readonly o: Required<LocalDeliveryOptions>;

  constructor(options: LocalDeliveryOptions) {
    this.o = { bufferBytes: 8 * 1_048_576, bufferMs: 60_000, transformBatch: 500, ...options };
  }

  /**
   * The transformation's input records of Kinesis records (aggregated or not) of one
   * shard, in stream order: de-aggregated as Firehose does, each with its
   * `kinesisRecordMetadata`. Built once and given to every delivery stream.
   */
  static inputsOf(records: readonly GetRecordsRecord[], shardId: string): FirehoseInputRecord[] {
    const inputs: FirehoseInputRecord[] = [];
    for (const r of records) {
      const data = Buffer.from(r.Data ?? new Uint8Array());
      const arrival = r.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
      const partitionKey = r.PartitionKey ?? '';
      let users: { data: Buffer; subSequenceNumber: number; partitionKey: string }[];
      try {
        users = deaggregate(data, partitionKey);
      } catch {
        // Firehose hands a record it cannot de-aggregate to the transform as is
        users = [{ data, subSequenceNumber: 0, partitionKey }];
      }
      for (const u of users) {
        inputs.push({
          recordId: String(inputs.length),
          approximateArrivalTimestamp: arrival,
          data: u.data.toString('base64'),
          kinesisRecordMetadata: {
            shardId,
            partitionKey: u.partitionKey,
            approximateArrivalTimestamp: arrival,
            sequenceNumber: r.SequenceNumber ?? '',
            subsequenceNumber: u.subSequenceNumber,
          },
        });
      }
    }
    return inputs;
  }

  /** Delivers Kinesis records of one shard, in stream order (see {@link inputsOf}). */
  async put(records: readonly GetRecordsRecord[], shardId: string): Promise<void> {
    await this.putInputs(LocalDelivery.inputsOf(records, shardId));
  }

  /** Delivers transformation input records (record ids unique among them). */
  async putInputs(inputs: readonly FirehoseInputRecord[]): Promise<void> {
    this.stats.recordsIn += inputs.length;
    for (let i = 0; i < inputs.length; i += this.o.transformBatch) {
      const batch = inputs.slice(i, i + this.o.transformBatch);
      const { records: out } = await this.o.transform({ records: batch });
      await this.accept(batch, out);
    }
    await this.flush(false);
  }

  private async accept(inputs: FirehoseInputRecord[], outputs: FirehoseOutputRecord[]): Promise<void> {
    const byId = new Map(outputs.map((o) => [o.recordId, o]));
    const failures: Record<string, unknown>[] = [];
    for (const input of inputs) {
      const out = byId.get(input.recordId);
      if (!out || out.result === 'ProcessingFailed' || (out.result === 'Ok' && !out.metadata?.partitionKeys)) {
        this.stats.failed++;
        failures.push({
          attemptsMade: 1,
          arrivalTimestamp: input.approximateArrivalTimestamp,
          errorCode: out ? 'Lambda.ProcessingFailed' : 'Lambda.MissingRecordId',
          errorMessage: out?.errorMessage ?? 'the transform returned no record for this id',
          rawData: input.data,
        });
        continue;
      }
      if (out.result === 'Dropped') {
        this.stats.dropped++;
        continue;
      }
      const keys = out.metadata?.partitionKeys as unknown as PartitionKeys;
      const json = Buffer.from(out.data, 'base64').toString('utf8');
      const id = hivePrefix(keys);
      let b = this.buffers.get(id);
      if (!b) this.buffers.set(id, (b = { keys, lines: [], bytes: 0, since: Date.now() }));
      // Kept as text: DuckDB parses it once, when the partition is written.
      b.lines.push(json.endsWith('\n') ? json.slice(0, -1) : json);
      b.bytes += json.length;
      this.stats.jsonBytes += json.length;
    }
    if (failures.length > 0) {
      const arrival = (failures[0]?.arrivalTimestamp as number) ?? Date.now();
      const key = `${errorPrefix(this.o.eventType, 'processing-failed', arrival)}${LAKE_TABLES[this.o.eventType]}-${randomUUID()}`;
      await this.o.s3.send(
        new PutObjectCommand({
          Bucket: this.o.bucket,
          Key: key,
          Body: failures.map((f) => JSON.stringify(f)).join('\n') + '\n',
        }),
      );
    }
  }

  /**
   * Writes buffered partitions as Parquet: all of them when `all`, else those over
   * the size bound or older than the time bound.
   */
  async flush(all = true): Promise<void> {
    const now = Date.now();
    for (const [id, b] of this.buffers) {
      if (!all && b.bytes < this.o.bufferBytes && now - b.since < this.o.bufferMs) continue;
      this.buffers.delete(id);
      const body = await jsonLinesToParquet(this.o.duck, this.o.columns, b.lines);
      const table = LAKE_TABLES[this.o.eventType];
      const key = `${table}/${hivePrefix(b.keys)}${table}-${now}-${randomUUID()}.parquet`;
      await this.o.s3.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: key, Body: body }));
      this.stats.parquetFiles++;
      this.stats.parquetBytes += body.length;
      this.stats.rowsWritten += b.lines.length;
    }
  }
}
