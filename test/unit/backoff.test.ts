import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '#core/produce/backoff.js';

const SETTINGS = { baseBackoffMs: 100, maxBackoffMs: 5_000 };

describe('retryDelayMs: exponential backoff with equal jitter', () => {
  it.each([
    // attempts, cap = min(5000, 100 · 2^(attempts-1))
    [1, 100],
    [2, 200],
    [3, 400],
    [6, 3_200],
    [7, 5_000],
    [30, 5_000],
  ])('after %i failure(s) waits between half the cap and the cap (%i ms)', (attempts, cap) => {
    // Act
    const least = retryDelayMs(attempts, SETTINGS, () => 0);
    const middle = retryDelayMs(attempts, SETTINGS, () => 0.5);
    const most = retryDelayMs(attempts, SETTINGS, () => 1 - 2 ** -53);

    // Assess
    expect(least).toBe(cap / 2);
    expect(middle).toBe((cap * 3) / 4);
    expect(most).toBeLessThanOrEqual(cap); // (the last bit of 1 - 2^-53 rounds away)
    expect(most).toBeGreaterThan(cap - 1e-9);
  });

  it('draws one random number a delay', () => {
    // Prepare
    let draws = 0;
    const random = () => {
      draws++;
      return 0.25;
    };

    // Act
    const delay = retryDelayMs(2, SETTINGS, random);

    // Assess
    expect([delay, draws]).toEqual([100 + 25, 1]);
  });
});
