/**
 * Producing one unit of source work (a collector tick, an ingest request, a
 * dropped file) under a deterministic identity: `producer_id` names the unit and
 * `producer_seq` counts its events from 1. Doing the same unit twice therefore
 * yields the same identities, which the hot path's producer marks and the lake's
 * silver dedup drop, so a repeat that slips past Powertools Idempotency (an expired
 * or in-progress record) still counts nothing twice.
 *
 * A unit's producer never drops a record and sends on: it retries until the unit's
 * deadline, then abandons everything not yet accepted. So on every shard the
 * accepted events of an unfinished unit are a prefix in seq order, and its retry
 * repeats only true duplicates (a gap would let the hot path's high-water mark
 * discard the retried events that filled it).
 */
import { createHash } from 'node:crypto';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { ProduceTimeoutError } from '#core/produce/errors.js';
import { Producer, type ProducerOptions } from '#core/produce/producer.js';
import type { InputEvent } from './input.js';

/** Where a source produces to. */
export interface StreamTarget {
  kinesis: Pick<KinesisClient, 'send'>;
  streamName: string;
  registry: SchemaRegistry;
  /** Producer backoff settings (defaults: the producer's); tests shorten them. */
  retry?: Pick<ProducerOptions, 'baseBackoffMs' | 'maxBackoffMs'>;
  /** Told how many events each unit put on the stream (local mode's counters). */
  onProduced?: (producerId: string, events: number) => void;
  /**
   * Told of every record Kinesis accepted, with its events and when its request was sent
   * (the data-loss SLO counts them by minute), including records of a unit that then
   * times out: they are on the stream all the same.
   */
  onAccepted?: (events: number, sentAtMs: number) => void;
}

/**
 * A producer id for a unit of work named by `parts` (for example the tick time,
 * or the Idempotency-Key and body): `<source>:<16 hex digits of SHA-256>`. Hashing
 * keeps caller-chosen strings (which may be long or sensitive) out of the data.
 */
export function unitProducerId(source: string, ...parts: string[]): string {
  return `${source}:${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)}`;
}

/**
 * The sources that produce in units (each a function of the stack; an OTLP export is one),
 * by the `source` of their {@link unitProducerId}. The data-loss SLO counts their events on every side
 * (produced, hot path, lake): the stack counts what they produce, not what host agents do.
 */
export const UNIT_SOURCES = ['collector', 'ingest-api', 'file-drop', 'otlp'] as const;

const UNIT_PREFIXES = UNIT_SOURCES.map((s) => `${s}:`);

/** True when `producerId` names a unit of one of {@link UNIT_SOURCES}. */
export function isUnitProducer(producerId: string): boolean {
  return UNIT_PREFIXES.some((p) => producerId.startsWith(p));
}

/**
 * Runs `work` with a producer for the unit `producerId` and waits until Kinesis
 * accepted every event it put, or until `deadline` (epoch ms).
 * @returns the events accepted
 * @throws ProduceTimeoutError when the deadline passed first (the unit is to be retried whole)
 */
export async function withUnitProducer(
  target: StreamTarget,
  producerId: string,
  deadline: number,
  work: (producer: Producer) => Promise<void>,
): Promise<number> {
  const producer = await Producer.create({
    ...target,
    ...target.retry,
    producerId,
    lingerMs: 20,
    maxAttempts: Number.POSITIVE_INFINITY,
  });
  const budgetMs = Math.max(0, deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), budgetMs);
  });
  try {
    const done = (async () => {
      await work(producer);
      await producer.close();
      return 'done' as const;
    })();
    if ((await Promise.race([done, timedOut])) === 'timeout') {
      producer.abandon();
      done.catch(() => {}); // settles once abandoned; its outcome no longer matters
      const { eventsPut, eventsAccepted } = producer.stats();
      throw new ProduceTimeoutError(eventsPut - eventsAccepted, budgetMs);
    }
  } catch (error) {
    producer.abandon();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const produced = producer.stats().eventsAccepted;
  target.onProduced?.(producerId, produced);
  return produced;
}

/**
 * Produces `events` in order as producer `producerId` (seq 1…n).
 * @throws ProduceTimeoutError when Kinesis did not take every event before `deadline`
 */
export async function produceUnit(
  target: StreamTarget,
  producerId: string,
  events: InputEvent[],
  deadline: number,
): Promise<number> {
  return withUnitProducer(target, producerId, deadline, async (producer) => {
    for (const e of events) {
      if (e.type === 'MetricSample') await producer.put('MetricSample', e.body);
      else await producer.put('LogEvent', e.body);
    }
  });
}
