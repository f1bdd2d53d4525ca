/**
 * How long a failed record waits before its next attempt: exponential backoff with
 * "equal jitter" (half the capped delay fixed, half random), a pure function.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */

/** The two settings of the backoff. */
export interface BackoffSettings {
  /** Delay cap after the first failure; doubles per further failure. */
  baseBackoffMs: number;
  /** The cap never grows past this. */
  maxBackoffMs: number;
}

/**
 * The delay before the next attempt of a record that has failed `attempts` times (≥ 1):
 * with cap = min(max, base · 2^(attempts−1)), a delay from cap/2 (`random` 0) up to cap (`random` just below 1).
 */
export function retryDelayMs(attempts: number, settings: BackoffSettings, random: () => number): number {
  const cap = Math.min(settings.maxBackoffMs, settings.baseBackoffMs * 2 ** (attempts - 1));
  return cap / 2 + random() * (cap / 2);
}
