import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignWindow, maxTimestamp, windowStart } from '#core/windows/assign-window.js';
import { windowingConfig, windowingConfigFromEnv } from '#core/windows/config.js';
import { advanceWatermark, isWindowFinal, NO_WATERMARK } from '#core/windows/watermark.js';

describe('windowStart / assignWindow', () => {
  it.each([
    [0, 0],
    [4_999, 0],
    [5_000, 5_000],
    [9_999, 5_000],
    [-1, -5_000],
    [-5_000, -5_000],
    [-5_001, -10_000],
  ])('[start, end) of 5 s windows: %i → start %i', (t, start) => {
    expect(windowStart(t, 5_000)).toBe(start);
    expect(assignWindow(t, 5_000)).toEqual({ start, end: start + 5_000 });
  });

  it('applies the offset', () => {
    expect(windowStart(999, 1_000, 500)).toBe(500);
    expect(windowStart(499, 1_000, 500)).toBe(-500);
    expect(windowStart(500, 1_000, 500)).toBe(500);
  });

  it('always holds the timestamp: start ≤ t < end, start ≡ offset (mod size)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e13, max: 1e13 }),
        fc.constantFrom(1_000, 60_000, 3_600_000),
        fc.integer({ min: 0, max: 999 }),
        (t, size, offset) => {
          const w = assignWindow(t, size, offset);
          expect(w.start <= t && t < w.end).toBe(true);
          expect((((w.start - offset) % size) + size) % size).toBe(0);
          expect(maxTimestamp(w)).toBe(w.end - 1);
        },
      ),
    );
  });
});

describe('watermark and finality (Flink: end - 1 + lateness <= watermark)', () => {
  it('advances to max event time minus out-of-orderness and never goes back', () => {
    let w = NO_WATERMARK;
    w = advanceWatermark(w, 10_000, 2_000);
    expect(w).toBe(8_000);
    w = advanceWatermark(w, 9_000, 2_000);
    expect(w).toBe(8_000);
    w = advanceWatermark(w, 12_000, 2_000);
    expect(w).toBe(10_000);
  });

  it.each([
    // window [0, 5000), lateness 1000: final once the watermark reaches 4999 + 1000 = 5999
    [5_998, false],
    [5_999, true],
    [6_000, true],
  ])('window [0,5000) with 1 s lateness at watermark %i: final = %s', (watermark, final) => {
    expect(isWindowFinal(5_000, watermark, 1_000)).toBe(final);
  });

  it('nothing is final before the first event', () => {
    expect(isWindowFinal(0, NO_WATERMARK, 0)).toBe(false);
  });
});

describe('windowing config', () => {
  it('defaults to 1-minute and 1-hour windows, and log counts per service only', () => {
    expect(windowingConfig()).toMatchObject({ windowSizesMs: [60_000, 3_600_000], logCountsByHost: false });
  });

  it.each([
    [{ windowSizesMs: [] }, 'windowSizesMs must list at least one size'],
    [{ windowSizesMs: [7_000] }, 'window size 7000 ms is invalid: use whole seconds that divide a day'],
    [{ windowSizesMs: [90_000, 60_000] }, 'window size 90000 ms is not a multiple of the finest size 60000 ms'],
    [{ allowedLatenessMs: -1 }, 'allowedLatenessMs must be an integer ≥ 0, got -1'],
    [{ logCountsByHost: 'yes' as unknown as boolean }, 'logCountsByHost must be true or false, got yes'],
  ])('rejects %j', (partial, message) => {
    expect(() => windowingConfig(partial)).toThrow(message);
  });

  it('reads the environment and names a malformed variable', () => {
    expect(
      windowingConfigFromEnv({ PULSE_WINDOW_SIZES_MS: '300000, 60000', PULSE_ALLOWED_LATENESS_MS: '0' }),
    ).toMatchObject({
      windowSizesMs: [60_000, 300_000],
      allowedLatenessMs: 0,
    });
    expect(() => windowingConfigFromEnv({ PULSE_MAX_FUTURE_SKEW_MS: 'soon' })).toThrow(
      "environment variable PULSE_MAX_FUTURE_SKEW_MS must be a number, got 'soon'",
    );
    expect(windowingConfigFromEnv({ PULSE_LOG_COUNTS_BY_HOST: 'true' }).logCountsByHost).toBe(true);
    expect(windowingConfigFromEnv({ PULSE_LOG_COUNTS_BY_HOST: 'false' }).logCountsByHost).toBe(false);
    expect(() => windowingConfigFromEnv({ PULSE_LOG_COUNTS_BY_HOST: '1' })).toThrow(
      "environment variable PULSE_LOG_COUNTS_BY_HOST must be true or false, got '1'",
    );
  });
});
