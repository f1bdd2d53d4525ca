import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeMarks, encodeMarks, MAX_MARK_BYTES } from '#core/projections/checkpoints.js';
import type { StreamEvent } from '#core/contract/consumer.js';
import { windowingConfig } from '#core/windows/config.js';
import { type DecodedRecord, foldRecords, initialState, type ShardState } from '#core/windows/fold.js';
import { ephemeralProducerId, isEphemeralProducer } from '#core/windows/producer-ids.js';
import { metricSample } from '#test/helpers/events.js';

/** `n` marks of distinct random producers, the i-th seen at time i. */
function state(n: number): ShardState {
  const marks: ShardState['marks'] = new Map();
  for (let i = 0; i < n; i++)
    marks.set(`ingest-api:${randomUUID()}`, new Map([[`host-${i % 7}`, { seq: i + 1, seenAt: i }]]));
  return { watermark: 0, marks };
}

describe('checkpoint producer marks', () => {
  it('round-trips marks that fit', () => {
    // Prepare
    const s = state(100);

    // Act
    const back = decodeMarks(encodeMarks(s));

    // Assess
    expect(back).toEqual(s.marks);
  });

  it('keeps the item under DynamoDB’s limit with many producers, dropping the least recently seen', () => {
    // Prepare: 50,000 random producer ids deflate to far more than an item holds
    const s = state(50_000);

    // Act
    const encoded = encodeMarks(s);
    const back = decodeMarks(encoded);

    // Assess
    expect(encoded.length).toBeLessThanOrEqual(MAX_MARK_BYTES);
    expect(back.size).toBeGreaterThan(5_000);
    expect(back.size).toBeLessThan(50_000);
    const seen = [...back.values()].map((hosts) => [...hosts.values()][0]?.seenAt as number);
    expect(Math.min(...seen)).toBe(50_000 - back.size); // exactly the most recent ones
  });
});

describe('producer marks under keyless ingest churn', () => {
  /** One record at `arrivalMs` of producer `id`: an event per host, host-i with seq i + 1. */
  function unit(id: string, hosts: number, arrivalMs: number): DecodedRecord {
    return {
      sequenceNumber: String(arrivalMs),
      partitionKey: 'k',
      arrivalMs,
      events: Array.from(
        { length: hosts },
        (_, i) =>
          ({
            type: 'MetricSample',
            event: metricSample(i + 1, {
              producer_id: id,
              host: `host-${i}`,
              occurred_at: new Date(arrivalMs),
            }),
            partitionKey: `host-${i}`,
            sequenceNumber: String(arrivalMs),
            subSequenceNumber: i,
            writer: undefined as never,
          }) as StreamEvent,
      ),
      poison: [],
      rawOf: () => Buffer.alloc(0),
    };
  }

  it('200 keyless 1,000-host requests do not evict a keyed unit: its late redelivery still counts once', () => {
    // Prepare: a keyed unit, then 200 keyless requests (200,000 newer marks), through a checkpoint
    const config = windowingConfig({ windowSizesMs: [60_000], outOfOrdernessMs: 0, allowedLatenessMs: 3_600_000 });
    const keyed = 'ingest-api:0123456789abcdef';
    const t0 = Date.UTC(2026, 11, 7, 3, 0);
    let state = foldRecords(initialState(), [unit(keyed, 1_000, t0)], config).state;
    const churn = Array.from({ length: 200 }, (_, i) => unit(ephemeralProducerId('ingest-api'), 1_000, t0 + 1_000 + i));
    state = foldRecords(state, churn, config).state;
    const checkpoint = { watermark: state.watermark, marks: decodeMarks(encodeMarks(state)) };

    // Act: the keyed unit delivered again, late (a retry after its idempotency record expired)
    const again = foldRecords(checkpoint, [unit(keyed, 1_000, t0 + 600_000)], config);

    // Assess: every event of it is a duplicate, none counted
    expect(checkpoint.marks.get(keyed)?.size).toBe(1_000);
    expect([again.duplicates, again.table.seqs.length]).toEqual([1_000, 0]);
  });

  it('keeps ephemeral marks an hour after last seen at most, durable ones for the mark TTL', () => {
    // Prepare
    const config = windowingConfig({ windowSizesMs: [60_000], producerMarkTtlMs: 86_400_000 });
    const t0 = Date.UTC(2026, 11, 7, 3, 0);
    const keyless = ephemeralProducerId('ingest-api');
    const state = foldRecords(
      initialState(),
      [unit('ingest-api:0123456789abcdef', 1, t0), unit(keyless, 1, t0)],
      config,
    ).state;

    // Act: a record of another producer 61 minutes later
    const later = foldRecords(state, [unit('collector:fedcba9876543210', 1, t0 + 3_660_000)], config).state;

    // Assess
    expect([isEphemeralProducer(keyless), [...later.marks.keys()].sort()]).toEqual([
      true,
      ['collector:fedcba9876543210', 'ingest-api:0123456789abcdef'],
    ]);
  });
});
