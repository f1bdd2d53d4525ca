/**
 * The Firehose transformation: each input record (Firehose has already
 * de-aggregated KPL) is one single-object Avro event. Events of this stream's
 * type become one JSON row with event-time partition keys; other types are
 * `Dropped`; bytes that do not decode are `ProcessingFailed` with the reason.
 */
import type { EventType } from '#core/contract/events.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectDecoder } from '#core/contract/single-object.js';
import { lakeRow, partitionKeysOf } from './rows.js';

/** One record of a Firehose data-transformation event. */
export interface FirehoseInputRecord {
  recordId: string;
  /** Epoch ms. */
  approximateArrivalTimestamp: number;
  /** Base64. */
  data: string;
  /** Present when the delivery stream reads a Kinesis stream (Firehose sends the subsequence as a number or a string). */
  kinesisRecordMetadata?: {
    shardId: string;
    partitionKey: string;
    approximateArrivalTimestamp: number;
    sequenceNumber: string;
    subsequenceNumber: number | string;
  } | null;
}

/** One record of the transformation's answer. */
export interface FirehoseOutputRecord {
  recordId: string;
  result: 'Ok' | 'Dropped' | 'ProcessingFailed';
  /** Base64 of the JSON row (Ok) or of the input bytes. */
  data: string;
  metadata?: { partitionKeys: Record<string, string> };
  /** Why a record failed (local delivery writes it to the error prefix). */
  errorMessage?: string;
}

/** Transforms a batch for the delivery stream of `eventType`. */
export class LakeTransform {
  private readonly decoder: SingleObjectDecoder;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly eventType: EventType,
  ) {
    this.decoder = new SingleObjectDecoder(registry);
  }

  /** True when the bytes carry a registered fingerprint of another event type: drop without decoding. */
  private otherType(bytes: Buffer): boolean {
    if (bytes.length < 10 || bytes[0] !== 0xc3 || bytes[1] !== 0x01) return false;
    try {
      return this.registry.byFingerprintAt(bytes, 2).name !== this.eventType;
    } catch {
      return false; // unknown fingerprint: decode() reports it
    }
  }

  /**
   * One output per input record id, in order. `onRow` is told of each row (`Ok`) with its
   * event's producer and the time its record entered the stream (epoch ms).
   */
  transform(
    records: readonly FirehoseInputRecord[],
    onRow?: (producerId: string, arrivalMs: number) => void,
  ): FirehoseOutputRecord[] {
    return records.map((r) => {
      const bytes = Buffer.from(r.data, 'base64');
      // Each delivery stream sees every event: the header alone says which are not its own.
      if (this.otherType(bytes)) return { recordId: r.recordId, result: 'Dropped', data: r.data };
      let decoded: ReturnType<SingleObjectDecoder['decode']>;
      try {
        decoded = this.decoder.decode(bytes);
      } catch (error) {
        return {
          recordId: r.recordId,
          result: 'ProcessingFailed',
          data: r.data,
          errorMessage: (error as Error).message,
        };
      }
      if (decoded.type !== this.eventType) return { recordId: r.recordId, result: 'Dropped', data: r.data };
      const occurredAt = (decoded.event.occurred_at as Date).getTime();
      const k = r.kinesisRecordMetadata;
      // The stream's own arrival time when Firehose reads a stream: the one the hot path saw.
      const arrivalMs = k?.approximateArrivalTimestamp ?? r.approximateArrivalTimestamp;
      onRow?.(decoded.event.producer_id, arrivalMs);
      const row = lakeRow(
        decoded.event,
        arrivalMs,
        k
          ? {
              shardId: k.shardId,
              sequenceNumber: k.sequenceNumber,
              subsequenceNumber: Number(k.subsequenceNumber ?? 0),
            }
          : undefined,
      );
      return {
        recordId: r.recordId,
        result: 'Ok',
        data: Buffer.from(`${JSON.stringify(row)}\n`).toString('base64'),
        metadata: { partitionKeys: { ...partitionKeysOf(occurredAt) } },
      };
    });
  }
}
