import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FleetSnapshots } from '#local/dashboard/fleet-snapshot.js';
import { fleetView, type HostPoint, nearestRank } from '#local/dashboard/fleet-view.js';
import type { WindowView } from '#core/projections/window-reader.js';

describe('nearestRank', () => {
  it.each([
    [0, 10],
    [0.25, 10],
    [0.2500001, 20],
    [0.5, 20],
    [0.75, 30],
    [0.95, 40],
    [1, 40],
  ])('of [10, 20, 30, 40] at %d is %d', (q, expected) => {
    expect(nearestRank([10, 20, 30, 40], q)).toBe(expected);
  });

  it('is a value the set holds: p50 and p95 of 1..20 are 10 and 19, of 1..21 are 11 and 20', () => {
    const to = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    expect([nearestRank(to(20), 0.5), nearestRank(to(20), 0.95)]).toEqual([10, 19]);
    expect([nearestRank(to(21), 0.5), nearestRank(to(21), 0.95)]).toEqual([11, 20]);
    expect([nearestRank([7], 0), nearestRank([7], 0.95), nearestRank([7], 1)]).toEqual([7, 7, 7]);
  });

  it('refuses no values and a percentile outside [0, 1]', () => {
    expect(() => nearestRank([], 0.5)).toThrow('nearestRank of no values: check the length first');
    expect(() => nearestRank([1], -0.01)).toThrow('percentile -0.01 is outside [0, 1]');
    expect(() => nearestRank([1], 1.01)).toThrow('percentile 1.01 is outside [0, 1]');
    expect(() => nearestRank([1], Number.NaN)).toThrow('percentile NaN is outside [0, 1]');
  });
});

describe('fleetView', () => {
  it('computes the spread across hosts per start and ranks hosts by their mean', () => {
    // Prepare: four hosts over three windows, out of order; b has a value once, d is missing at 60 s
    const points: HostPoint[] = [
      { host: 'c', start: 60_000, value: 30 },
      { host: 'a', start: 0, value: 1 },
      { host: 'b', start: 120_000, value: null },
      { host: 'b', start: 0, value: 2 },
      { host: 'd', start: 0, value: 4 },
      { host: 'c', start: 0, value: 3 },
      { host: 'a', start: 60_000, value: 10 },
      { host: 'b', start: 60_000, value: null },
    ];

    // Act
    const view = fleetView(points, { top: 2 });

    // Assess: [1,2,3,4] → 1, 2, 4, 4; [10,30] → 10, 10, 30, 30; no value → null.
    // Means a 5.5, b 2, c 16.5, d 4: c then a.
    expect(view).toEqual({
      starts: [0, 60_000, 120_000],
      reporting: [4, 2, 0],
      min: [1, 10, null],
      p50: [2, 10, null],
      p95: [4, 30, null],
      max: [4, 30, null],
      top: [
        { host: 'c', values: [3, 30, null] },
        { host: 'a', values: [1, 10, null] },
      ],
      hosts: 4,
    });
  });

  it('breaks ties in host order (server-2 before server-10) and ignores values that are not finite', () => {
    const view = fleetView(
      [
        { host: 'server-10', start: 0, value: 5 },
        { host: 'server-2', start: 0, value: 5 },
        { host: 'server-3', start: 0, value: Number.NaN },
      ],
      { top: 5 },
    );
    expect(view.top.map((t) => t.host)).toEqual(['server-2', 'server-10']);
    expect(view.hosts).toBe(2);
    expect(view.reporting).toEqual([2]);
  });

  it('is empty for no points, and draws no lines with top 0', () => {
    expect(fleetView([], { top: 5 })).toEqual({
      starts: [],
      reporting: [],
      min: [],
      p50: [],
      p95: [],
      max: [],
      top: [],
      hosts: 0,
    });
    expect(fleetView([{ host: 'a', start: 0, value: 1 }], { top: 0 }).top).toEqual([]);
  });

  it('orders min ≤ p50 ≤ p95 ≤ max, counts every value once, and stays bounded by starts × (4 + top)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            host: fc.integer({ min: 1, max: 300 }).map((i) => `server-${i}`),
            start: fc.integer({ min: 0, max: 5 }).map((i) => i * 60_000),
            value: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
          }),
          { maxLength: 600 },
        ),
        fc.integer({ min: 0, max: 10 }),
        (points, top) => {
          const view = fleetView(points, { top });
          view.starts.forEach((_, i) => {
            if (view.reporting[i] === 0) return;
            const [min, p50, p95, max] = [view.min[i], view.p50[i], view.p95[i], view.max[i]] as [
              number,
              number,
              number,
              number,
            ];
            expect(min <= p50 && p50 <= p95 && p95 <= max).toBe(true);
          });
          expect(view.reporting.reduce((a, b) => a + b, 0)).toBe(points.filter((p) => p.value !== null).length);
          expect(view.top.length).toBeLessThanOrEqual(top);
          for (const t of view.top) expect(t.values).toHaveLength(view.starts.length);
        },
      ),
    );
  });
});

describe('FleetSnapshots', () => {
  function window(series: string, host: string, start: number): WindowView {
    return {
      series,
      host,
      start,
      end: start + 60_000,
      count: 1,
      samples: 1,
      sum: 1,
      avg: 1,
      min: 1,
      max: 1,
      last: 1,
      lastAt: start,
      p50: 1,
      p95: 1,
      p99: 1,
      final: false,
    };
  }

  function clocked(readMs: number) {
    const clock = { t: 0, reads: 0 };
    const windows = [window('cpu', 'server-10', 0), window('mem', 'server-2', 0), window('cpu', 'server-2', 0)];
    const snapshots = new FleetSnapshots(
      async () => {
        clock.reads++;
        clock.t += readMs;
        return windows;
      },
      { minAgeMs: 1_000, now: () => clock.t },
    );
    return { clock, snapshots };
  }

  it('groups the windows by metric and lists hosts in host order', async () => {
    const { snapshots } = clocked(0);
    const s = await snapshots.get();
    expect([...s.byMetric.keys()]).toEqual(['cpu', 'mem']);
    expect(s.byMetric.get('cpu')?.map((w) => w.host)).toEqual(['server-10', 'server-2']);
    expect(s.hosts).toEqual(['server-2', 'server-10']);
  });

  it('shares one read between concurrent requests and reuses it for minAgeMs', async () => {
    const { clock, snapshots } = clocked(0);
    const [a, b] = await Promise.all([snapshots.get(), snapshots.get()]);
    expect(a).toBe(b);
    clock.t = 999;
    expect(await snapshots.get()).toBe(a);
    expect(clock.reads).toBe(1);
    clock.t = 1_000;
    expect(await snapshots.get()).not.toBe(a);
    expect(clock.reads).toBe(2);
  });

  it('reuses a slow read for twice the time it took', async () => {
    const { clock, snapshots } = clocked(3_000);
    await snapshots.get(); // read from 0 to 3,000
    clock.t = 5_999;
    await snapshots.get();
    expect(clock.reads).toBe(1);
    clock.t = 6_000;
    await snapshots.get();
    expect(clock.reads).toBe(2);
  });
});
