import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeInto, percentiles, restoreMetricAggregate, sketchBytes, sumOf } from '#core/windows/aggregates.js';
import { RELATIVE_ACCURACY } from '#core/windows/sketch.js';
import { aggregateOf, comparable } from '#test/helpers/aggregates.js';
import { decimalToMicros, microsToDecimal } from '#core/projections/window-items.js';

const arbSamples = fc.array(
  fc.record({
    value: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((v) => v / 100),
    at: fc.integer({ min: 0, max: 1_000 }),
  }),
  { minLength: 1, maxLength: 60 },
);

const fold = (samples: { value: number; at: number }[]) => aggregateOf(samples);

describe('metric aggregates', () => {
  it('any split and order of the samples merges to the same aggregate', () => {
    fc.assert(
      fc.property(arbSamples, fc.nat(), (samples, cut) => {
        // Prepare
        const k = cut % (samples.length + 1);
        const reversed = [...samples].reverse();
        // Act
        const whole = fold(samples);
        const merged = fold(reversed.slice(0, k));
        mergeInto(merged, fold(reversed.slice(k)));
        // Assess
        expect(comparable(merged)).toEqual(comparable(whole));
      }),
    );
  });

  it('percentiles are within the stated relative accuracy of the exact rank value', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: 1, max: 100_000 }).map((v) => v / 100),
          { minLength: 1, maxLength: 500 },
        ),
        (values) => {
          const a = fold(values.map((value) => ({ value, at: 0 })));
          const sorted = [...values].sort((x, y) => x - y);
          for (const [q, got] of [
            [0.5, percentiles(a).p50],
            [0.95, percentiles(a).p95],
            [0.99, percentiles(a).p99],
          ] as const) {
            const exact = sorted[Math.floor(q * (sorted.length - 1))] as number;
            expect(Math.abs((got as number) - exact)).toBeLessThanOrEqual(exact * RELATIVE_ACCURACY + 1e-9);
          }
        },
      ),
    );
  });

  it.each([
    [[0.7], [0.5, 1.0]],
    [[-0.7], [-0.5, -1.0]],
    [[5], [1, 0, -1]],
  ])('merging %j with %j equals one pass (bin key 0 and negative bins)', (a, b) => {
    const merged = fold(a.map((value) => ({ value, at: 0 })));
    mergeInto(merged, fold(b.map((value) => ({ value, at: 0 }))));
    const whole = fold([...a, ...b].map((value) => ({ value, at: 0 })));
    expect(comparable(merged)).toEqual(comparable(whole));
    expect(comparable(restoreMetricAggregate({ ...merged, sketch: sketchBytes(merged) }))).toEqual(comparable(whole));
  });

  it('the stored form restores the same aggregate (sketch bins included)', () => {
    fc.assert(
      fc.property(arbSamples, (samples) => {
        const a = fold(samples);
        const b = restoreMetricAggregate({ ...a, sketch: sketchBytes(a) });
        expect(comparable(b)).toEqual(comparable(a));
      }),
    );
  });

  it('sums exactly in micro-units, whatever the order (no floating-point drift)', () => {
    const a = fold([0.1, 0.2, 0.3].map((value) => ({ value, at: 0 })));
    const b = fold([0.3, 0.2, 0.1].map((value) => ({ value, at: 0 })));
    expect(a.sumMicros).toBe(600_000n);
    expect(b.sumMicros).toBe(600_000n);
    expect(sumOf(a)).toBe(0.6);
  });

  it('last is the latest sample, ties broken by the larger value', () => {
    const a = fold([
      { value: 5, at: 10 },
      { value: 9, at: 20 },
      { value: 7, at: 20 },
      { value: 1, at: 15 },
    ]);
    expect([a.last, a.lastAt]).toEqual([9, 20]);
  });

  it.each([
    [0n, '0'],
    [1n, '0.000001'],
    [-1_500_000n, '-1.5'],
    [123_456_789_000_000n, '123456789'],
  ])('micro-units %s ↔ decimal %s', (micros, decimal) => {
    expect(microsToDecimal(micros)).toBe(decimal);
    expect(decimalToMicros(decimal)).toBe(micros);
  });
});
