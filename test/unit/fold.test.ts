import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '#core/contract/consumer.js';
import type { MetricSample } from '#core/contract/events.js';
import { windowingConfig } from '#core/windows/config.js';
import { type DecodedRecord, foldRecords, initialState } from '#core/windows/fold.js';
import { logEvent, metricSample } from '#test/helpers/events.js';

const config = windowingConfig({
  windowSizesMs: [60_000],
  outOfOrdernessMs: 0,
  allowedLatenessMs: 0,
  producerMarkTtlMs: 3_600_000,
});
const HOUR = 3_600_000;

/** A record at `arrivalMs` holding metric samples (seq, host, time). */
function record(seq: number, arrivalMs: number, events: Partial<MetricSample>[]): DecodedRecord {
  return {
    sequenceNumber: String(1000 + seq),
    partitionKey: 'k',
    arrivalMs,
    events: events.map(
      (e, i) =>
        ({
          type: 'MetricSample',
          event: metricSample(e.producer_seq ?? 1, { occurred_at: new Date(arrivalMs), ...e }),
          partitionKey: e.host ?? 'server-001',
          sequenceNumber: String(1000 + seq),
          subSequenceNumber: i,
          writer: undefined as never,
        }) as StreamEvent,
    ),
    poison: [],
    rawOf: () => Buffer.alloc(0),
  };
}

describe('fold: producer marks', () => {
  it('skips a retried duplicate: same producer, host and seq not above the mark', () => {
    const out = foldRecords(
      initialState(),
      [record(1, 0, [{ producer_seq: 5 }]), record(2, 1_000, [{ producer_seq: 5 }, { producer_seq: 6 }])],
      config,
    );
    expect(out.duplicates).toBe(1);
    expect(out.table.seqs.length).toBe(2);
  });

  it('keeps marks per host: after a merge two lanes of one producer may interleave in one shard', () => {
    // lane A delivered seq 1003 (server-001), lane B then delivers 1002 (server-002)
    const out = foldRecords(
      initialState(),
      [
        record(1, 0, [{ producer_seq: 1003, host: 'server-001' }]),
        record(2, 1_000, [{ producer_seq: 1002, host: 'server-002' }]),
      ],
      config,
    );
    expect(out.duplicates).toBe(0);
  });

  it('expires a mark unseen for the TTL before each record, the same however the records are batched', () => {
    // Prepare: r3 repeats r1's identity more than an hour later
    const r1 = record(1, 0, [{ producer_seq: 1 }]);
    const r2 = record(2, HOUR / 2, [{ producer_seq: 1, producer_id: 'other' }]);
    const r3 = record(3, HOUR + 1, [{ producer_seq: 1 }]);
    // Act
    const whole = foldRecords(initialState(), [r1, r2, r3], config);
    const first = foldRecords(initialState(), [r1, r2], config);
    const second = foldRecords(first.state, [r3], config);
    // Assess
    expect(whole.duplicates).toBe(0);
    expect(first.duplicates + second.duplicates).toBe(0);
    expect(whole.table.seqs.length).toBe(first.table.seqs.length + second.table.seqs.length);
  });
});

describe('fold: lateness and skew', () => {
  it('an event for a window already final is late; the next window is not', () => {
    // watermark after the first event = 120000 (no out-of-orderness): [0, 60000) is final, [60000, 120000) final too
    const out = foldRecords(
      initialState(),
      [
        record(1, 120_000, [
          { producer_seq: 1, occurred_at: new Date(120_000) },
          { producer_seq: 2, occurred_at: new Date(59_999) },
          { producer_seq: 3, occurred_at: new Date(120_001) },
        ]),
      ],
      config,
    );
    expect(out.late.map((l) => l.occurredAt)).toEqual([59_999]);
    expect(out.table.ats).toEqual([120_000, 120_001]);
  });

  it('quarantines an event beyond the future skew bound, keeping it out of the watermark', () => {
    const out = foldRecords(
      initialState(),
      [record(1, 0, [{ producer_seq: 1, occurred_at: new Date(config.maxFutureSkewMs + 1) }])],
      config,
    );
    expect(out.quarantined.map((q) => q.code)).toEqual(['future-dated']);
    expect(out.state.watermark).toBe(initialState().watermark);
  });
});

describe('fold: log counts', () => {
  /** One record holding an ERROR log of service api from server-007. */
  const logRecord = (): DecodedRecord => ({
    sequenceNumber: '1001',
    partitionKey: 'server-007',
    arrivalMs: 0,
    events: [
      {
        type: 'LogEvent',
        event: logEvent(1, { occurred_at: new Date(0), host: 'server-007', service: 'api', level: 'ERROR' }),
        partitionKey: 'server-007',
        sequenceNumber: '1001',
        subSequenceNumber: 0,
        writer: undefined as never,
      } as StreamEvent,
    ],
    poison: [],
    rawOf: () => Buffer.alloc(0),
  });
  const keys = (byHost: boolean) =>
    foldRecords(initialState(), [logRecord()], { ...config, logCountsByHost: byHost }).contributions.map(
      (c) => `${c.key.kind}|${c.key.name}|${c.events.length}`,
    );

  it('counts logs per (service, level) only by default', () => {
    expect(keys(config.logCountsByHost)).toEqual(['service|api|1']);
  });

  it('also per (host, level) when logCountsByHost is set', () => {
    expect(keys(true)).toEqual(['service|api|1', 'host|server-007|1']);
  });
});
