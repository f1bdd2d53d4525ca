import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptItemError } from '#core/projections/errors.js';
import { decodeHeldState, encodeHeldState, type HeldState } from '#core/projections/held-state.js';
import { fromAttributes, packMeasures, toAttributes, unpackMeasures } from '#core/projections/window-items.js';
import { seriesWindows } from '#core/projections/window-views.js';
import { addSample, emptyMetricAggregate, type MetricAggregate } from '#core/windows/aggregates.js';
import type { WindowItemKey } from '#core/windows/fold.js';
import { aggregateOf, comparable } from '#test/helpers/aggregates.js';

const START = 1_765_065_600_000; // a minute (and an hour) boundary

/** Samples of one metric: any doubles (not only 6-decimal ones), negative, zero, huge. */
const arbSamples = fc.array(
  fc.record({
    value: fc.oneof(
      fc.integer({ min: -1_000_000, max: 1_000_000 }).map((v) => v / 100),
      fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }),
      fc.constant(0),
    ),
    at: fc.integer({ min: 0, max: 59_999 }),
  }),
  { minLength: 1, maxLength: 40 },
);
const arbItem = fc.record({
  metrics: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,30}$/), arbSamples, { maxKeys: 25 }),
  levels: fc.dictionary(fc.constantFrom('INFO', 'WARN', 'ERROR', 'DEBUG'), fc.integer({ min: 1, max: 1_000_000 })),
});

const aggregate = (samples: { value: number; at: number }[]) => aggregateOf(samples, START);

const hostKey: WindowItemKey = { kind: 'host', name: 'server-001', size: 60_000, start: START };

describe('packed window measures', () => {
  it('unpack(pack(item)) holds every aggregate and count, and packing is deterministic', () => {
    fc.assert(
      fc.property(arbItem, ({ metrics, levels }) => {
        // Prepare
        const item = {
          key: hostKey,
          metrics: new Map(Object.entries(metrics).map(([name, samples]) => [name, aggregate(samples)])),
          levels: new Map(Object.entries(levels)),
        };
        // Act
        const packed = packMeasures(item);
        const back = unpackMeasures(packed, START);
        // Assess
        expect([...back.metrics.keys()].sort()).toEqual([...item.metrics.keys()].sort());
        for (const [name, m] of item.metrics)
          expect(comparable(back.metrics.get(name) as MetricAggregate)).toEqual(comparable(m));
        expect(back.levels).toEqual(item.levels);
        expect(packMeasures({ key: hostKey, ...back })).toEqual(packed);
      }),
    );
  });

  it('a minute of 20 metrics sampled every 10 s fits in one write unit', () => {
    // Prepare: 20 metrics × 6 samples, values with two decimals, as fleet agents send them
    const metrics = new Map(
      Array.from({ length: 20 }, (_, i) => [
        `system_metric_number_${i}`,
        aggregate(Array.from({ length: 6 }, (_, k) => ({ value: ((i * 37 + k * 13) % 9000) / 100, at: k * 10_000 }))),
      ]),
    );
    // Act
    const attrs = toAttributes(
      {
        key: hostKey,
        version: 3,
        fences: new Map([['shardId-000000000000', `${'4'.repeat(56)}:3`]]),
        metrics,
        levels: new Map(),
      },
      1,
    );
    const bytes = Object.entries(attrs).reduce(
      (n, [k, v]) => n + k.length + (v.B?.length ?? v.S?.length ?? (v.N ? v.N.length : 0)),
      0,
    );
    // Assess
    expect(bytes).toBeLessThan(1_024);
    expect(fromAttributes(attrs).metrics.get('system_metric_number_7')?.count).toBe(6);
  });

  it('refuses bytes of another format and bytes cut short, naming what is wrong', () => {
    // Prepare
    const packed = packMeasures({
      key: hostKey,
      metrics: new Map([
        [
          'cpu',
          aggregate([
            { value: 1, at: 0 },
            { value: 2, at: 1 },
          ]),
        ],
      ]),
      levels: new Map(),
    });
    // Act / Assess
    expect(() => unpackMeasures(Buffer.from([9, ...packed.subarray(1)]), START)).toThrow(
      new CorruptItemError('unknown packed measures format 9: expected 1 or 2'),
    );
    expect(() => unpackMeasures(packed.subarray(0, packed.length - 3), START)).toThrow(CorruptItemError);
  });
});

describe('held window state', () => {
  it('decodes to what was encoded; the fresh state {} is no state', () => {
    // Prepare
    const held: HeldState = {
      checkpointVersion: 7,
      checkpointSeq: '49650000000000000000000000000000000000000000000000000123',
      parents: ['shardId-000000000001'],
      lastSeq: '49650000000000000000000000000000000000000000000000000456',
      fold: {
        watermark: START - 30_000,
        marks: new Map([['agent-1', new Map([['server-001', { seq: 42, seenAt: START }]])]]),
      },
      partials: new Map([
        [
          'host|server-001|60000|' + START,
          {
            key: hostKey,
            metrics: new Map([
              [
                'cpu_utilization',
                aggregate([
                  { value: 12.5, at: 5 },
                  { value: 99.25, at: 9 },
                ]),
              ],
            ]),
            levels: new Map([['ERROR', 2]]),
            first: '49650000000000000000000000000000000000000000000000000200:0',
            last: '49650000000000000000000000000000000000000000000000000456:4',
          },
        ],
      ]),
      maxEventTime: START + 9,
    };
    // Act
    const back = decodeHeldState(JSON.parse(JSON.stringify(encodeHeldState(held)))) as HeldState;
    // Assess
    expect(decodeHeldState({})).toBeUndefined();
    expect({ ...back, partials: undefined }).toEqual({ ...held, partials: undefined });
    const p = back.partials.get('host|server-001|60000|' + START);
    expect(p && { key: p.key, first: p.first, last: p.last, levels: p.levels }).toEqual({
      key: hostKey,
      first: '49650000000000000000000000000000000000000000000000000200:0',
      last: '49650000000000000000000000000000000000000000000000000456:4',
      levels: new Map([['ERROR', 2]]),
    });
    expect(comparable(p?.metrics.get('cpu_utilization') as MetricAggregate)).toEqual(
      comparable(
        aggregate([
          { value: 12.5, at: 5 },
          { value: 99.25, at: 9 },
        ]),
      ),
    );
    expect(() => decodeHeldState({ pulse: 42 })).toThrow(
      new CorruptItemError("tumbling-window state 'pulse' is not a string"),
    );
  });
});

describe('derived windows', () => {
  it('an hour derived from its minutes and its correction item equals the hour aggregated from its events', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            minute: fc.integer({ min: 0, max: 59 }),
            value: fc.integer({ min: 0, max: 10_000 }).map((v) => v / 100),
            at: fc.integer({ min: 0, max: 59_999 }),
            lateForMinute: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 80,
          },
        ),
        (events) => {
          // Prepare: on-time events in their minute's item; late-for-the-minute ones in the hour's correction item
          const items = new Map<
            string,
            { key: WindowItemKey; metrics: Map<string, MetricAggregate>; levels: Map<string, number> }
          >();
          const itemOf = (size: number, start: number) => {
            const id = `${size}|${start}`;
            let i = items.get(id);
            if (!i)
              items.set(
                id,
                (i = { key: { kind: 'host', name: 'server-001', size, start }, metrics: new Map(), levels: new Map() }),
              );
            let m = i.metrics.get('cpu');
            if (!m) i.metrics.set('cpu', (m = emptyMetricAggregate()));
            return m;
          };
          for (const e of events) {
            const t = START + e.minute * 60_000 + (e.at % 60_000);
            addSample(
              e.lateForMinute ? itemOf(3_600_000, START) : itemOf(60_000, START + e.minute * 60_000),
              e.value,
              t,
            );
          }
          const direct = emptyMetricAggregate();
          for (const e of events) addSample(direct, e.value, START + e.minute * 60_000 + (e.at % 60_000));
          // Act
          const windows = seriesWindows([...items.values()], [60_000, 3_600_000]);
          // Assess
          expect(comparable(windows.get(`metric|cpu|server-001|3600000|${START}`)?.metric as MetricAggregate)).toEqual(
            comparable(direct),
          );
          const minutes = [...windows.values()].filter((w) => w.size === 60_000);
          expect(minutes.reduce((n, w) => n + w.count, 0)).toBe(events.filter((e) => !e.lateForMinute).length);
        },
      ),
    );
  });
});
