import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PositionsFile } from '#local/positions.js';
import { percentile, RunMeter } from '#local/run-meter.js';

describe('PositionsFile: a mapping positions under <data dir>/mappings/', () => {
  it('has nothing saved on a new data dir, and reads back what a previous run saved', () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-positions-'));
    const first = new PositionsFile(dataDir, 'delivery');

    // Act
    first.save({ 'shardId-000000000000': '4959', 'shardId-000000000001': undefined });
    const second = new PositionsFile(dataDir, 'delivery');

    // Assess: a shard at TRIM_HORIZON is kept out of the JSON, and so starts from the start again
    expect(first.saved).toBeUndefined();
    expect(second.saved).toEqual({ 'shardId-000000000000': '4959' });
    expect(readFileSync(join(dataDir, 'mappings', 'delivery.json'), 'utf8')).toBe('{"shardId-000000000000":"4959"}');
  });
});

describe('RunMeter: latencies and hot-path counters of a local run', () => {
  it('takes the nearest rank below: p95 of 1..100 is 95, p50 is 50, and 0 with no samples', () => {
    // Prepare
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);

    // Act
    const quantiles = [percentile(sorted, 0.5), percentile(sorted, 0.95), percentile(sorted, 1), percentile([], 0.95)];

    // Assess
    expect(quantiles).toEqual([50, 95, 100, 0]);
  });

  it('gives percentiles between two marks, so a benchmark can leave out its warm-up', () => {
    // Prepare
    const meter = new RunMeter();
    for (const ms of [1_000, 1_000]) meter.recordLatency(ms);
    const warm = meter.latencySamples;
    for (const ms of [30, 10, 20]) meter.recordLatency(ms);

    // Act
    const steady = meter.latency(warm, meter.latencySamples);
    const all = meter.latency();

    // Assess
    expect(steady).toEqual({ p50: 20, p95: 20, p99: 20, samples: 3 });
    expect(all).toEqual({ p50: 30, p95: 1_000, p99: 1_000, samples: 5 });
    expect(meter.recentP95()).toBe(1_000);
  });

  it('has no recent p95 before the first latency', () => {
    // Act
    const p95 = new RunMeter().recentP95();

    // Assess
    expect(p95).toBeNull();
  });

  it('adds the hot path counters of each invocation and keeps the latest positive event-time lag', () => {
    // Prepare
    const meter = new RunMeter();
    const batch = { windowsWritten: 3, writeUnits: 7, late: 1, quarantined: 2, eventsIn: 40, eventTimeLagMs: 500 };

    // Act
    meter.recordBatch({ ...batch } as Parameters<RunMeter['recordBatch']>[0]);
    meter.recordBatch({ ...batch, eventTimeLagMs: 0 } as Parameters<RunMeter['recordBatch']>[0]);

    // Assess
    expect(meter.hot).toEqual({ windowsWritten: 6, writeUnits: 14, late: 2, quarantined: 4, lagMs: 500 });
    expect(meter.eventsIn).toBe(80);
  });
});
