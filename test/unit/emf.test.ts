import { afterEach, describe, expect, it, vi } from 'vitest';
import { isUnitProducer, UNIT_SOURCES, unitProducerId } from '#core/sources/emit.js';
import { MAX_VALUES_PER_DOCUMENT, MinuteCounts, publishValues, spreadSample } from '#handlers/lib/emf.js';
import { SLO_EMF } from '#core/metrics/names.js';
import { captureEmf } from '#test/helpers/emf.js';

const NOW = Math.floor(Date.now() / 60_000) * 60_000;

describe('EMF values', () => {
  afterEach(() => vi.restoreAllMocks());

  it(`splits values at ${MAX_VALUES_PER_DOCUMENT} a metric a document (0, 99, 100, 199 values)`, () => {
    for (const [n, documents] of [
      [0, []],
      [99, [99]],
      [100, [99, 1]],
      [199, [99, 99, 1]],
    ] as const) {
      // Prepare
      const emf = captureEmf();
      const values = Array.from({ length: n }, (_, i) => i);
      // Act
      const published = publishValues(emf.metrics, {
        dimensions: { function_name: 'f' },
        timestamp: NOW,
        metrics: new Map([['TimeToVisible', { unit: 'Milliseconds', values }]]),
      });
      emf.restore();
      // Assess
      const docs = emf.documents();
      expect(published).toBe(documents.length);
      expect(docs.map((d) => [d.TimeToVisible].flat().length)).toEqual(documents);
      expect(docs.flatMap((d) => [d.TimeToVisible].flat())).toEqual(values);
      for (const d of docs) expect(d).toMatchObject({ function_name: 'f', _aws: { Timestamp: NOW } });
    }
  });

  it('stands for many values with evenly spaced order statistics, minimum and maximum included', () => {
    expect(spreadSample([3, 1, 2], 5)).toEqual([1, 2, 3]);
    const thousand = Array.from({ length: 1_000 }, (_, i) => 999 - i);
    const sample = spreadSample(thousand, 99);
    expect(sample).toHaveLength(99);
    expect([sample[0], sample[49], sample[98]]).toEqual([0, 500, 999]);
  });
});

describe('EMF counts by minute (the data-loss SLO)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes one count a minute, stamped the minute plus the shift, at the minute boundaries exactly', () => {
    // Prepare
    const emf = captureEmf();
    const counts = new MinuteCounts();
    const m = NOW - 600_000;
    counts.add(m, 2);
    counts.add(m + 59_999, 3);
    counts.add(m + 60_000, 4);
    counts.add(m + 60_000, 0);
    const other = new MinuteCounts();
    other.add(m + 120_000, 1);
    counts.merge(other);
    // Act
    counts.publish(emf.metrics, SLO_EMF.hotPath, { function_name: 'f' }, SLO_EMF.shiftMs, NOW);
    counts.publish(emf.metrics, SLO_EMF.hotPath, { function_name: 'f' }, SLO_EMF.shiftMs, NOW); // forgotten once published
    emf.restore();
    // Assess
    expect(emf.documents().map((d) => [d._aws.Timestamp - SLO_EMF.shiftMs, d.SloHotPath])).toEqual([
      [m, 5],
      [m + 60_000, 4],
      [m + 120_000, 1],
    ]);
  });

  it('skips minutes CloudWatch would drop: shifted over 2 hours ahead, or over 14 days old', () => {
    // Prepare
    const emf = captureEmf();
    const counts = new MinuteCounts();
    counts.add(NOW + 2 * 3_600_000, 1);
    counts.add(NOW - 15 * 86_400_000, 1);
    // Act
    counts.publish(emf.metrics, SLO_EMF.produced, {}, SLO_EMF.shiftMs, NOW);
    emf.restore();
    // Assess
    expect(emf.documents()).toEqual([]);
  });

  it("counts the events of the stack's sources by their producer ids, not a host agent's", () => {
    for (const source of UNIT_SOURCES) expect(isUnitProducer(unitProducerId(source, 'unit'))).toBe(true);
    expect(isUnitProducer('7d0f2a4e-9b1c-4f7e-8a55-0c2b9e4d1a11')).toBe(false);
    expect(isUnitProducer('collectors:0a')).toBe(false);
  });
});
