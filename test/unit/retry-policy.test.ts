import { describe, expect, it } from 'vitest';
import type { LambdaKinesisEventRecord } from '#core/lambda/events.js';
import { RetryPolicy, type RetrySettings } from '#local/retry-policy.js';

/** Records with sequence numbers '1', '2', … that arrived at the given times (ms). */
function records(...arrivedMs: number[]): LambdaKinesisEventRecord[] {
  return arrivedMs.map(
    (at, i) =>
      ({
        kinesis: { sequenceNumber: String(i + 1), approximateArrivalTimestamp: at / 1000 },
      }) as LambdaKinesisEventRecord,
  );
}

const seqs = (rs: LambdaKinesisEventRecord[]) => rs.map((r) => r.kinesis.sequenceNumber);

function policy(settings: Partial<RetrySettings> = {}): RetryPolicy {
  return new RetryPolicy({
    bisectBatchOnError: true,
    retryAttempts: -1,
    maxRecordAgeMs: -1,
    now: () => 0,
    ...settings,
  });
}

describe('RetryPolicy: maximum record age', () => {
  it('keeps a record exactly maxRecordAgeMs old and expires one 1 ms older, up to the first fresh record', () => {
    // Prepare: at 10,000 ms with a 5,000 ms limit, a record from 4,999 is 5,001 ms old, from 5,000 exactly 5,000
    const p = policy({ maxRecordAgeMs: 5_000, now: () => 10_000 });

    // Act
    const split = p.splitExpired(records(4_999, 4_999, 5_000, 4_000));

    // Assess: only the head expires (a later old record stays behind a fresh one, as the batch is in order)
    expect([seqs(split.expired), seqs(split.fresh)]).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('expires the whole batch when no record is fresh, and nothing with maxRecordAgeMs -1', () => {
    // Prepare
    const strict = policy({ maxRecordAgeMs: 0, now: () => 10_000 });
    const never = policy({ maxRecordAgeMs: -1, now: () => 10_000 });

    // Act
    const all = strict.splitExpired(records(1, 2));
    const none = never.splitExpired(records(1, 2));

    // Assess
    expect([seqs(all.expired), seqs(all.fresh)]).toEqual([['1', '2'], []]);
    expect([seqs(none.expired), seqs(none.fresh)]).toEqual([[], ['1', '2']]);
  });
});

describe('RetryPolicy: bisect', () => {
  it('splits 5 records into 3 and 2, 2 into 1 and 1, and never splits 1 record or with bisection off', () => {
    // Prepare
    const on = policy();
    const off = policy({ bisectBatchOnError: false });

    // Act
    const five = on.bisect(records(0, 0, 0, 0, 0));
    const two = on.bisect(records(0, 0));
    const one = on.bisect(records(0));
    const disabled = off.bisect(records(0, 0));

    // Assess
    expect(five?.map(seqs)).toEqual([
      ['1', '2', '3'],
      ['4', '5'],
    ]);
    expect(two?.map(seqs)).toEqual([['1'], ['2']]);
    expect([one, disabled]).toEqual([undefined, undefined]);
  });
});

describe('RetryPolicy: retry attempts', () => {
  it('retries the same records retryAttempts times, then discards them; forgetting them starts over', async () => {
    // Prepare
    const p = policy({ retryAttempts: 2 });
    const batch = records(0, 0);

    // Act
    const first = [await p.retry(batch), await p.retry(batch), await p.retry(batch)];
    p.forget(batch);
    const afterForget = await p.retry(batch);

    // Assess
    expect(first).toEqual([true, true, false]);
    expect(afterForget).toBe(true);
  });

  it('counts attempts by the first record: a retried tail after a partial failure has counts of its own', async () => {
    // Prepare
    const p = policy({ retryAttempts: 1 });
    const a = records(0, 0);
    const b = a.slice(1);

    // Act
    const outcomes = [await p.retry(a), await p.retry(b)];
    const again = [await p.retry(a), await p.retry(b)];

    // Assess
    expect(outcomes).toEqual([true, true]);
    expect(again).toEqual([false, false]);
  });

  it('retries without limit with retryAttempts -1 (Lambda: until the records expire)', async () => {
    // Prepare
    const p = policy({ retryAttempts: -1 });
    const batch = records(0);

    // Act
    const outcomes: boolean[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await p.retry(batch));

    // Assess
    expect(outcomes).toEqual([true, true, true, true, true]);
  });
});
