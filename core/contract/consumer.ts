/**
 * The consumer API for stream subscribers: Kinesis record in, typed events out,
 * in the reader schema version of the caller's choice.
 */
import type { LambdaKinesisRecord } from '#core/lambda/events.js';
import { ContractError } from './errors.js';
import type { EventOf, EventType } from './events.js';
import { type DeaggregateOptions, deaggregate, isAggregate, visitAggregate } from './kpl.js';
import type { SchemaRegistry, SchemaVersion } from './registry.js';
import { type ReaderVersions, SingleObjectDecoder } from './single-object.js';

/** A record as `GetRecords` (AWS SDK v3) returns it. */
export interface GetRecordsRecord {
  Data?: Uint8Array | undefined;
  SequenceNumber?: string | undefined;
  PartitionKey?: string | undefined;
  ApproximateArrivalTimestamp?: Date | undefined;
}

export type { LambdaKinesisRecord } from '#core/lambda/events.js';

/**
 * The records of a Lambda Kinesis event (one shard's) as GetRecords returns them,
 * and their shard (from the event ids, `<shardId>:<sequenceNumber>`). Arrival
 * times are rounded to the millisecond as the hot path rounds them.
 */
export function fromLambdaRecords(records: readonly LambdaKinesisRecord[]): {
  shardId: string;
  records: GetRecordsRecord[];
} {
  return {
    shardId: (records[0]?.eventID ?? '').split(':')[0] ?? '',
    records: records.map((r) => ({
      Data: Buffer.from(r.kinesis.data, 'base64'),
      PartitionKey: r.kinesis.partitionKey,
      SequenceNumber: r.kinesis.sequenceNumber,
      ApproximateArrivalTimestamp: new Date(Math.round((r.kinesis.approximateArrivalTimestamp ?? 0) * 1000)),
    })),
  };
}

/** Either record shape. */
export type KinesisRecordLike = GetRecordsRecord | LambdaKinesisRecord;

/** Where a user record sits in the stream: (sequence number, sub-sequence number). */
export interface StreamPosition {
  sequenceNumber: string;
  subSequenceNumber: number;
}

/** An event read from the stream with its position. */
export interface StreamEvent<T extends EventType = EventType> extends StreamPosition {
  type: T;
  event: EventOf[T];
  partitionKey: string;
  /** The writer schema version found on the wire. */
  writer: SchemaVersion;
}

/** A user record that could not be decoded, with its bytes and reason (for quarantine). */
export interface PoisonRecord extends StreamPosition {
  partitionKey: string;
  /** The raw bytes that failed (the user record, or the whole Kinesis record for a bad aggregate). */
  data: Buffer;
  error: ContractError;
}

/** Outcome of decoding one Kinesis record. */
export interface DecodedRecord {
  events: StreamEvent[];
  poison: PoisonRecord[];
}

/** The bytes, sequence number and partition key of a record in either shape (base64 decoded once). */
export function recordParts(record: KinesisRecordLike): { data: Buffer; sequenceNumber: string; partitionKey: string } {
  if ('kinesis' in record) {
    return {
      data: Buffer.from(record.kinesis.data, 'base64'),
      sequenceNumber: record.kinesis.sequenceNumber,
      partitionKey: record.kinesis.partitionKey,
    };
  }
  const d = record.Data ?? new Uint8Array();
  return {
    data: Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength),
    sequenceNumber: record.SequenceNumber ?? '',
    partitionKey: record.PartitionKey ?? '',
  };
}

/**
 * Decodes Kinesis records (aggregated or not) into typed events.
 *
 * ```ts
 * const decoder = new StreamDecoder(SchemaRegistry.load(), { MetricSample: 1 });
 * for (const e of decoder.events(record)) console.log(e.type, e.event.host);
 * ```
 */
export class StreamDecoder {
  private readonly objects: SingleObjectDecoder;

  /**
   * @param registry - every schema version (load once per process)
   * @param readers - reader version per event type; default the latest
   * @param options - de-aggregation options (checksum verification)
   */
  constructor(
    registry: SchemaRegistry,
    readers: ReaderVersions = {},
    private readonly options: DeaggregateOptions = {},
  ) {
    this.objects = new SingleObjectDecoder(registry, readers);
  }

  /** Decodes one record, separating good events from poison user records; never throws for bad data. */
  decode(record: KinesisRecordLike): DecodedRecord {
    const { data, sequenceNumber, partitionKey } = recordParts(record);
    const out: DecodedRecord = { events: [], poison: [] };
    const visit = (pk: string, _ehk: string | undefined, start: number, end: number, sub: number): void => {
      try {
        const d = this.objects.decodeAt(data, start, end);
        out.events.push({
          type: d.type,
          event: d.event,
          writer: d.writer,
          partitionKey: pk,
          sequenceNumber,
          subSequenceNumber: sub,
        });
      } catch (error) {
        if (!(error instanceof ContractError)) throw error;
        out.poison.push({
          sequenceNumber,
          subSequenceNumber: sub,
          partitionKey: pk,
          data: Buffer.from(data.subarray(start, end)),
          error,
        });
      }
    };
    if (!isAggregate(data)) {
      visit(partitionKey, undefined, 0, data.length, 0);
      return out;
    }
    try {
      visitAggregate(data, visit, this.options);
    } catch (error) {
      if (!(error instanceof ContractError)) throw error;
      // A malformed aggregate: the whole Kinesis record is poison, and nothing of it counts.
      return { events: [], poison: [{ sequenceNumber, subSequenceNumber: 0, partitionKey, data, error }] };
    }
    return out;
  }

  /** The user records of a record's data (one, when it is not an aggregate), as views. */
  userRecords(data: Buffer): { subSequenceNumber: number; data: Buffer }[] {
    try {
      return deaggregate(data, '', undefined, this.options);
    } catch {
      return [{ subSequenceNumber: 0, data }];
    }
  }

  /**
   * Decodes one record into events.
   * @throws the ContractError of the first user record that cannot be decoded
   */
  events(record: KinesisRecordLike): StreamEvent[] {
    const { events, poison } = this.decode(record);
    const first = poison[0];
    if (first) throw first.error;
    return events;
  }
}
