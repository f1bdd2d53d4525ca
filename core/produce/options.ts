/** Settings and counters of the producer (producer.ts), with the defaults as data. */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { EventType } from '#core/contract/events.js';
import { KINESIS_MAX_RECORD_BYTES } from '#core/contract/kpl.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import type { BackoffSettings } from './backoff.js';

/** Settings of a {@link Producer}; all but the first three have defaults. */
export interface ProducerOptions {
  kinesis: Pick<KinesisClient, 'send'>;
  streamName: string;
  registry: SchemaRegistry;
  /** Identity of this producer incarnation (default: a random UUID). */
  producerId?: string;
  /** First producer_seq (default 1). */
  firstSeq?: number;
  /** Schema version to write per event type (default: the latest; plain metric samples: see WriterVersions). */
  writerVersions?: Partial<Record<EventType, number>>;
  /** How long an aggregate may wait for more events before it is sent (default 100 ms). */
  lingerMs?: number;
  /** Largest aggregated record, data plus partition key (default and maximum 1 MiB). */
  maxRecordBytes?: number;
  /** Parallel PutRecords requests (default 4); each shard still has at most one record in flight. */
  maxInFlightRequests?: number;
  /** Bytes buffered before put() waits (default 32 MiB). */
  maxBufferedBytes?: number;
  /** Attempts per aggregated record before its events are dropped and reported (default 30). */
  maxAttempts?: number;
  /** First retry delay (default 100 ms); doubles per attempt with jitter up to `maxBackoffMs`. */
  baseBackoffMs?: number;
  /** Cap on the retry delay (default 5 s). */
  maxBackoffMs?: number;
  /** Random source for jitter, in [0, 1) (tests pin it). */
  random?: () => number;
  /** Called for every record given up on; the same events are also reported by flush(). */
  onDrop?: (drop: { events: number; firstSeq: number; lastSeq: number; reason: string }) => void;
  /** Called for every record Kinesis accepted, with its events and when its PutRecords request was sent (epoch ms). */
  onAccepted?: (events: number, sentAtMs: number) => void;
}

/** Running totals of a producer. */
export interface ProducerCounters {
  /** Events handed to put(). */
  eventsPut: number;
  /** Events in records Kinesis accepted. */
  eventsAccepted: number;
  /** Aggregated Kinesis records accepted. */
  recordsAccepted: number;
  /** Bytes of accepted records (data). */
  bytesAccepted: number;
  /** PutRecords calls made. */
  requests: number;
  /** Records sent again after a failed entry or a failed request. */
  retries: number;
  /** Events given up on after maxAttempts (each also reported). */
  eventsDropped: number;
}

/** The settings a running producer reads: every default filled in. */
export type ResolvedProducerOptions = Required<
  Omit<ProducerOptions, 'producerId' | 'firstSeq' | 'writerVersions' | 'onDrop' | 'onAccepted'>
> &
  Pick<ProducerOptions, 'onDrop' | 'onAccepted'> &
  BackoffSettings;

/** Defaults of the optional numeric settings. */
export const PRODUCER_DEFAULTS = {
  lingerMs: 100,
  maxInFlightRequests: 4,
  maxBufferedBytes: 32 * 1_048_576,
  maxAttempts: 30,
  baseBackoffMs: 100,
  maxBackoffMs: 5_000,
} as const;

/** Fills in the defaults; `maxRecordBytes` is capped at Kinesis's 1 MiB. */
export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  const d = PRODUCER_DEFAULTS;
  return {
    kinesis: options.kinesis,
    streamName: options.streamName,
    registry: options.registry,
    lingerMs: options.lingerMs ?? d.lingerMs,
    maxRecordBytes: Math.min(options.maxRecordBytes ?? KINESIS_MAX_RECORD_BYTES, KINESIS_MAX_RECORD_BYTES),
    maxInFlightRequests: options.maxInFlightRequests ?? d.maxInFlightRequests,
    maxBufferedBytes: options.maxBufferedBytes ?? d.maxBufferedBytes,
    maxAttempts: options.maxAttempts ?? d.maxAttempts,
    baseBackoffMs: options.baseBackoffMs ?? d.baseBackoffMs,
    maxBackoffMs: options.maxBackoffMs ?? d.maxBackoffMs,
    random: options.random ?? Math.random,
    onDrop: options.onDrop,
    onAccepted: options.onAccepted,
  };
}

/** Counters at zero. */
export function zeroCounters(): ProducerCounters {
  return {
    eventsPut: 0,
    eventsAccepted: 0,
    recordsAccepted: 0,
    bytesAccepted: 0,
    requests: 0,
    retries: 0,
    eventsDropped: 0,
  };
}
