/**
 * Producing one unit of source work (a collector tick, an ingest request, a
 * dropped file) under a deterministic identity: `producer_id` names the unit and
 * `producer_seq` counts its events from 1. Doing the same unit twice therefore
 * yields the same identities, which the hot path's producer marks and the lake's
 * silver dedup drop, so a repeat that slips past Powertools Idempotency (an expired
 * or in-progress record) still counts nothing twice.
 */
import { createHash } from 'node:crypto';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SchemaRegistry } from '../contract/registry.js';
import { Producer, type ProducerOptions } from '../produce/producer.js';
import type { InputEvent } from './input.js';

/** Where a source produces to. */
export interface StreamTarget {
  kinesis: Pick<KinesisClient, 'send'>;
  streamName: string;
  registry: SchemaRegistry;
  /** Producer retry settings (defaults: the producer's); tests shorten them. */
  retry?: Pick<ProducerOptions, 'maxAttempts' | 'baseBackoffMs' | 'maxBackoffMs'>;
  /** Told how many events each unit put on the stream (local mode's counters). */
  onProduced?: (producerId: string, events: number) => void;
}

/**
 * A producer id for a unit of work named by `parts` (for example the tick time,
 * or the Idempotency-Key): `<source>:<16 hex digits of SHA-256>`. Hashing keeps
 * caller-chosen strings (which may be long or sensitive) out of the data.
 */
export function unitProducerId(source: string, ...parts: string[]): string {
  return `${source}:${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)}`;
}

/**
 * Produces `events` in order as producer `producerId` (seq 1…n) and waits until
 * Kinesis accepted all of them.
 * @throws EventsDroppedError when any event could not be put (the caller fails the unit, to be retried)
 */
export async function produceUnit(target: StreamTarget, producerId: string, events: InputEvent[]): Promise<number> {
  const producer = await Producer.create({ ...target, ...target.retry, producerId, lingerMs: 20 });
  try {
    for (const e of events) {
      if (e.type === 'MetricSample') await producer.put('MetricSample', e.body);
      else await producer.put('LogEvent', e.body);
    }
  } finally {
    await producer.close();
  }
  target.onProduced?.(producerId, events.length);
  return events.length;
}
