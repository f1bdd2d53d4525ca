import { describe, expect, it } from 'vitest';
import { describeSlos, evaluateSlos, freshnessBoundMs } from '#core/slo/slos.js';

const base = {
  ingest: { requests: 2_000, serverErrors: 2, p95Ms: 120 },
  acknowledged: 1_000_000,
  inWindows: 1_000_000,
  inLake: 1_000_000,
  freshnessP95Ms: 45_000,
  flushIntervalSeconds: 60,
};

describe('seed 003 SLOs', () => {
  it('meets every objective at its edge: 2 server errors in 2,000 requests is 99.9 %', () => {
    // Act
    const report = evaluateSlos(base);

    // Assess
    expect(report).toEqual({
      ingest_availability: { value: 0.999, objective: 0.999, kind: 'min', met: true },
      ingest_p95_ms: { value: 120, objective: 500, kind: 'max', met: true },
      data_loss_ratio: { value: 0, objective: 0.0001, kind: 'max', met: true },
      freshness_p95_ms: { value: 45_000, objective: 120_000, kind: 'max', met: true },
      basis: { ingest_requests: 2_000, ingest_server_errors: 2, acknowledged: 1_000_000, missing: 0 },
    });
  });

  it('misses each objective one step past it', () => {
    // Prepare: 3 errors in 2,000; 501 ms; 101 events of a million missing from the lake; 120.001 s
    const worse = {
      ...base,
      ingest: { requests: 2_000, serverErrors: 3, p95Ms: 501 },
      inLake: 1_000_000 - 101,
      inWindows: 1_000_000 - 7,
      freshnessP95Ms: 120_001,
    };

    // Act
    const report = evaluateSlos(worse);

    // Assess: the larger gap (the lake's) is the loss
    expect([
      report.ingest_availability.met,
      report.ingest_p95_ms.met,
      report.data_loss_ratio.value,
      report.data_loss_ratio.met,
      report.freshness_p95_ms.met,
      report.basis.missing,
    ]).toEqual([false, false, 0.000101, false, false, 101]);
  });

  it('says nothing was measured instead of claiming an SLO is met', () => {
    // Act
    const report = evaluateSlos({
      ...base,
      ingest: { requests: 0, serverErrors: 0, p95Ms: null },
      acknowledged: 0,
      inWindows: 0,
      inLake: 0,
      freshnessP95Ms: null,
    });

    // Assess
    expect([
      report.ingest_availability,
      report.ingest_p95_ms.met,
      report.data_loss_ratio.met,
      report.freshness_p95_ms.met,
    ]).toEqual([{ value: null, objective: 0.999, kind: 'min', met: null }, null, null, null]);
  });

  it('bounds freshness by the flush interval plus a minute, and refuses a bad interval', () => {
    // Act / Assess
    expect([freshnessBoundMs(0), freshnessBoundMs(60), freshnessBoundMs(300)]).toEqual([60_000, 120_000, 360_000]);
    expect(() => freshnessBoundMs(-1)).toThrow('flush interval must be a non-negative number of seconds, got -1');
  });

  it('describes a report in one line, with what was missed in capitals', () => {
    // Prepare
    const report = evaluateSlos({ ...base, ingest: { requests: 0, serverErrors: 0, p95Ms: null }, inLake: 999_000 });

    // Act
    const line = describeSlos(report);

    // Assess
    expect(line).toBe(
      'ingest availability not measured; ingest p95 not measured; data loss 0.100 % (≤ 0.010 %, MISSED); freshness p95 45000 ms (≤ 120000 ms, met)',
    );
  });
});
