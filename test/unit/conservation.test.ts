import { describe, expect, it } from 'vitest';
import { type ConservationCounts, isConserved } from '#local/conservation.js';

/** A fresh run of 3,024 events (7 hosts × 6 events × 72 ticks) that reached both paths. */
const FRESH: ConservationCounts = {
  stream_events: 3_024,
  undecodable: 0,
  windowed: 3_024,
  late: 0,
  quarantined: 0,
  parquet_rows: 3_024,
};

describe('isConserved: every event the stream holds is in the windows and in the lake', () => {
  it('holds for a fresh run whose events were all windowed and delivered', () => {
    // Act
    const conserved = isConserved(FRESH);

    // Assess
    expect(conserved).toBe(true);
  });

  it('counts late and quarantined events on the hot path: 3,000 + 20 + 4 = 3,024', () => {
    // Prepare
    const counts = { ...FRESH, windowed: 3_000, late: 20, quarantined: 4 };

    // Act
    const conserved = isConserved(counts);

    // Assess
    expect(conserved).toBe(true);
  });

  it('fails at one event missing from either path, and at one extra', () => {
    // Prepare
    const cases: ConservationCounts[] = [
      { ...FRESH, windowed: 3_023 },
      { ...FRESH, windowed: 3_025 },
      { ...FRESH, parquet_rows: 3_023 },
      { ...FRESH, parquet_rows: 3_025 },
      { ...FRESH, late: 1 },
    ];

    // Act
    const conserved = cases.map(isConserved);

    // Assess
    expect(conserved).toEqual([false, false, false, false, false]);
  });

  it('holds with an undecodable record: quarantined by the hot path, absent from the lake', () => {
    // Prepare: 3,024 events produced plus one record put on the stream that does not decode.
    // The old bench:local check (windowed + late + quarantined = produced and parquet_rows =
    // produced, with produced 3,024) said false: 3,024 + 0 + 1 ≠ 3,024. pulse start said true.
    const counts = { ...FRESH, stream_events: 3_025, undecodable: 1, quarantined: 1 };

    // Act
    const conserved = isConserved(counts);

    // Assess
    expect(conserved).toBe(true);
  });

  it('holds for a resumed run: the reference is the stream (every run), not what this run produced', () => {
    // Prepare: an earlier run on the data dir put 3,024 events, this one 1,000; both paths
    // hold all 4,024. The old bench:local check (against produced = 1,000) said false;
    // pulse start said true.
    const counts = { ...FRESH, stream_events: 4_024, windowed: 4_024, parquet_rows: 4_024 };

    // Act
    const conserved = isConserved(counts);

    // Assess
    expect(conserved).toBe(true);
  });

  it("fails when this run's events are in but the earlier runs' events are missing", () => {
    // Prepare: the stream holds 4,024 events (3,024 from an earlier run), but only this run's
    // 1,000 reached the windows and the lake. The old bench:local check (against produced =
    // 1,000) said true, hiding 3,024 lost events; pulse start said false.
    const counts = { ...FRESH, stream_events: 4_024, windowed: 1_000, parquet_rows: 1_000 };

    // Act
    const conserved = isConserved(counts);

    // Assess
    expect(conserved).toBe(false);
  });
});
