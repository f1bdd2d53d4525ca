/**
 * The Parquet archive read back as the stream it came from. Every lake row keeps
 * its place in the stream (`shard_id`, `sequence_number`, `subsequence_number`,
 * from Firehose's `kinesisRecordMetadata`) and its arrival time, so the rows of a
 * shard, in that order, regrouped into their Kinesis records, are what the hot
 * path read: the projection can replay them and take the same decisions (late,
 * duplicate, future-dated) it took live. Firehose's own redeliveries are rows at
 * the same place and are read once.
 *
 * What the archive cannot give back: poison records (their bytes are under the
 * lake's error prefix, and they never changed a window), and the original bytes
 * (an event is re-encoded with the latest schema when a late or quarantined side
 * output of the replay needs bytes).
 */
import type { StreamEvent } from '#core/contract/consumer.js';
import { EVENT_TYPES, type EventOf, type EventType } from '#core/contract/events.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { LAKE_METADATA_COLUMNS, LAKE_TABLES, type LakeColumn, lakeColumns } from '#core/lake/columns.js';
import { LakeQuery } from '#core/lake/lake-query.js';
import type { DecodedRecord } from '#core/windows/fold.js';
import { RebuildError } from './errors.js';

const METADATA = new Set(LAKE_METADATA_COLUMNS.map((c) => c.name));

/** SQL condition: the row is before the sequence number `seq` (decimal digits) in its shard. */
function before(seq: string): string {
  if (!/^\d+$/.test(seq)) throw new RebuildError(`'${seq}' is not a Kinesis sequence number`);
  return `(length(sequence_number) < ${seq.length} OR (length(sequence_number) = ${seq.length} AND sequence_number < '${seq}'))`;
}

/** Reads the archived records of each shard, in stream order. */
export class ArchiveReader {
  private readonly encoder = new SingleObjectEncoder();
  /** The event fields of each type's lake table (the metadata columns left out). */
  private readonly fields: Record<EventType, LakeColumn[]>;

  private constructor(
    private readonly lake: LakeQuery,
    private readonly registry: SchemaRegistry,
  ) {
    const fieldsOf = (type: EventType) => lakeColumns(registry, type).filter((c) => !METADATA.has(c.name));
    this.fields = { MetricSample: fieldsOf('MetricSample'), LogEvent: fieldsOf('LogEvent') };
  }

  /**
   * Opens the archive under `lakeDir` (`<table>/year=…/*.parquet`, as `pulse query` syncs it).
   * @throws RebuildError when archived events have no stream position (written by a delivery
   *   that did not read the stream, or before the lake kept positions): they cannot be ordered
   */
  static async open(registry: SchemaRegistry, lakeDir: string): Promise<ArchiveReader> {
    const reader = new ArchiveReader(await LakeQuery.open(registry, lakeDir), registry);
    try {
      const [row] = await reader.lake.query(
        `SELECT count(*)::INTEGER AS n FROM (${reader.union()}) WHERE shard_id IS NULL OR sequence_number IS NULL OR subsequence_number IS NULL`,
      );
      const unplaced = Number(row?.n ?? 0);
      if (unplaced > 0) {
        throw new RebuildError(
          `${unplaced} archived events have no stream position (shard_id, sequence_number): they were not delivered from the stream, or were written before the lake kept positions (Pulse of 2026-11-23), so their order is unknown; rebuild from the stream (--source stream) while it retains them`,
        );
      }
      return reader;
    } catch (error) {
      reader.close();
      throw error;
    }
  }

  /** One SELECT over both lake tables, with timestamps as epoch ms and maps and structs (a histogram) as JSON text. */
  private union(where = ''): string {
    return EVENT_TYPES.map((type) => {
      const cols = lakeColumns(this.registry, type).map((c) => {
        const name = `"${c.name}"`;
        if (c.duckdbType === 'TIMESTAMP') return `epoch_ms(${name}) AS ${name}`;
        if (c.duckdbType.startsWith('MAP(') || c.duckdbType.startsWith('STRUCT('))
          return `CAST(to_json(${name}) AS VARCHAR) AS ${name}`;
        return name;
      });
      return `SELECT '${type}' AS event_type, ${cols.join(', ')} FROM ${LAKE_TABLES[type]} ${where}`;
    }).join(' UNION ALL BY NAME ');
  }

  /** The shards the archive holds events of. */
  async shards(): Promise<string[]> {
    const rows = await this.lake.query(`SELECT DISTINCT shard_id FROM (${this.union()}) ORDER BY shard_id`);
    return rows.map((r) => String(r.shard_id));
  }

  /** How many Kinesis records the archive holds (for a progress bar). */
  async count(): Promise<number> {
    const [row] = await this.lake.query(
      `SELECT count(DISTINCT (shard_id, sequence_number))::BIGINT AS n FROM (${this.union()})`,
    );
    return Number(row?.n ?? 0);
  }

  /**
   * The archived records of a shard in stream order, `batchSize` records at a time
   * (a record's events are never split between batches).
   * @param until only records before this sequence number
   */
  async *records(shardId: string, batchSize: number, until?: string): AsyncGenerator<DecodedRecord[]> {
    const conditions = [`shard_id = '${shardId.replaceAll("'", "''")}'`];
    if (until !== undefined) conditions.push(before(until));
    const result = await this.lake.connection.stream(
      `SELECT * FROM (${this.union(`WHERE ${conditions.join(' AND ')}`)})
       QUALIFY row_number() OVER (PARTITION BY sequence_number, subsequence_number) = 1
       ORDER BY length(sequence_number), sequence_number, subsequence_number`,
    );
    const names = result.columnNames();
    let batch: DecodedRecord[] = [];
    let current: DecodedRecord | undefined;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const row of chunk.getRowObjects(names)) {
        const seq = String(row.sequence_number);
        if (current?.sequenceNumber !== seq) {
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
          }
          current = this.newRecord(seq, Number(row.arrived_at));
          batch.push(current);
        }
        current.events.push(this.event(row, seq));
      }
    }
    if (batch.length > 0) yield batch;
  }

  private newRecord(sequenceNumber: string, arrivalMs: number): DecodedRecord {
    const record: DecodedRecord = {
      sequenceNumber,
      partitionKey: '',
      arrivalMs,
      events: [],
      poison: [],
      rawOf: (sub) => {
        const e = record.events.find((x) => x.subSequenceNumber === sub);
        return e ? this.encoder.encode(this.registry.latest(e.type), e.event) : Buffer.alloc(0);
      },
    };
    return record;
  }

  /** The event of a lake row, typed as the latest schema reads it. */
  private event(row: Record<string, unknown>, sequenceNumber: string): StreamEvent {
    const type = row.event_type as EventType;
    const event: Record<string, unknown> = {};
    for (const c of this.fields[type]) {
      const v = row[c.name];
      if (v === null || v === undefined) event[c.name] = null;
      else if (c.duckdbType === 'TIMESTAMP') event[c.name] = new Date(Number(v));
      else if (c.duckdbType.startsWith('MAP(') || c.duckdbType.startsWith('STRUCT('))
        event[c.name] = JSON.parse(String(v)) as unknown;
      else if (typeof v === 'bigint') event[c.name] = Number(v);
      else event[c.name] = v;
    }
    return {
      type,
      event: event as unknown as EventOf[EventType],
      sequenceNumber,
      subSequenceNumber: Number(row.subsequence_number),
      partitionKey: '',
      writer: this.registry.latest(type),
    };
  }

  /** Closes DuckDB. */
  close(): void {
    this.lake.close();
  }
}
