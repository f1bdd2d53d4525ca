import { describe, expect, it } from 'vitest';
import { costReport, loadPrices } from '../../core/cost/model.js';
import { itemSizeBytes } from '../../core/cost/item-size.js';
import { ROUND_MEASURED } from '../helpers/cost.js';

const measured = ROUND_MEASURED;
const byName = (lines: { component: string; monthly: number }[]) =>
  Object.fromEntries(lines.map((l) => [l.component, l.monthly]));

describe('cost model', () => {
  it('prices each component from the measurements, by hand-checked arithmetic', () => {
    // Act: 1,000 events/s for 730 hours = 2.628 billion events
    const r = costReport(1_000, measured, loadPrices());

    // Assess
    expect(r.eventsPerMonth).toBe(2_628_000_000);
    const pulse = byName(r.pulse);
    // 730 stream hours × $0.04 + 525.6 GB in × $0.08 + 525.6 GB × 2 readers × $0.04
    expect(pulse['Kinesis (on-demand)']).toBeCloseTo(29.2 + 42.048 + 42.048, 6);
    // 131.4 M writes × $0.625/M + 131.4 M reads (one 4 KB unit each) × $0.125/M
    expect(pulse['DynamoDB windows (on-demand)']).toBeCloseTo(82.125 + 16.425, 6);
    const perEvent = byName(r.perEvent);
    // 2.628 billion PutItems × $0.625/M
    expect(perEvent['DynamoDB, one PutItem per event']).toBeCloseTo(1_642.5, 6);
    // 2.628 billion PUTs × $0.005/1000 + 893.52 GB × $0.023
    expect(perEvent['S3, one JSON object per event']).toBeCloseTo(13_140 + 20.55096, 4);
    expect(r.pulseTotal).toBeCloseTo(
      r.pulse.reduce((n, l) => n + l.monthly, 0),
      9,
    );
    expect(r.pulse.every((l) => Math.abs(l.perMillionEvents - (l.monthly / r.eventsPerMonth) * 1e6) < 1e-12)).toBe(
      true,
    );
  });

  it('refuses a rate that is not positive', () => {
    // Act / Assess
    expect(() => costReport(0, measured, loadPrices())).toThrow('events per second must be a positive number, got 0');
  });

  it('sizes DynamoDB items by the documented rules', () => {
    // Act / Assess: names + values; a number takes about a byte per two digits plus one
    expect(itemSizeBytes({ pk: { S: 'M#cpu#h1#60000' }, n: { N: '12345' }, b: { B: new Uint8Array(10) } })).toBe(
      2 + 14 + 1 + 4 + 1 + 10,
    );
  });
});
