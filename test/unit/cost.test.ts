import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fleetFromOptions } from '#cli/commands/cost.js';
import { itemSizeBytes } from '#core/cost/item-size.js';
import { FLEET_SHAPE_FORM, parseFleetShape } from '#core/cost/fleet-shape.js';
import { type CostReport, costReport, loadPrices } from '#core/cost/model.js';
import { chooseShape, loadReference } from '#core/cost/reference.js';
import { MINIMAL_STAGE } from '#core/cost/stage.js';
import { FLEET_SHAPES, ROUND_FIGURES, ROUND_SEED } from '#test/helpers/cost.js';

/** The price list read as plain JSON: expected values never go through the model's code. */
const P = JSON.parse(readFileSync(new URL('../../core/cost/prices-2026-11.json', import.meta.url), 'utf8'));
const GB = 2 ** 30;
const SECONDS = 730 * 3_600;
const line = (r: { components: { name: string; monthly_usd: number }[] }, name: string): number => {
  const found = r.components.find((c) => c.name === name);
  if (!found) throw new Error(`no line ${name}`);
  return found.monthly_usd;
};

describe('fleet shapes', () => {
  it.each([
    ['10000x20/10s', { hosts: 10_000, metrics: 20, intervalSeconds: 10 }],
    ['10x5/300s', { hosts: 10, metrics: 5, intervalSeconds: 300 }],
    ['10x5/5m', { hosts: 10, metrics: 5, intervalSeconds: 300 }],
    ['10x5/0.05s', { hosts: 10, metrics: 5, intervalSeconds: 0.05 }],
    ['2x3/1h', { hosts: 2, metrics: 3, intervalSeconds: 3_600 }],
    [' 1000x5/10s ', { hosts: 1_000, metrics: 5, intervalSeconds: 10 }],
  ])('reads %s', (text, shape) => {
    // Act / Assess
    expect(parseFleetShape(text)).toEqual(shape);
  });

  it.each(['10000x20', '10x5/10', '0x5/10s', '10x0/10s', '10x5/0s', '10x5/-1s', 'ax5/10s', '10x5/10d', '10*5/10s', ''])(
    'refuses %j, naming the form',
    (text) => {
      // Act / Assess
      expect(() => parseFleetShape(text)).toThrow(`a fleet shape is ${FLEET_SHAPE_FORM}; got '${text}'`);
    },
  );

  it('gives the command line exact messages', () => {
    // Act / Assess
    expect(() => fleetFromOptions('10000x20', undefined)).toThrow(
      "--fleet must be <hosts>x<metrics>/<interval>, e.g. 10000x20/10s or 10x5/5m (whole hosts and metrics ≥ 1; interval > 0 in s, m or h), got '10000x20'",
    );
    expect(() => fleetFromOptions('10x5/300s', '5')).toThrow('give --fleet or --events-per-second, not both');
    expect(() => fleetFromOptions(undefined, undefined)).toThrow(
      'give --fleet <hosts>x<metrics>/<interval>, or --events-per-second N',
    );
    expect(() => fleetFromOptions(undefined, '0')).toThrow("--events-per-second must be a number ≥ 5e-324, got '0'");
    expect(fleetFromOptions(undefined, '500')).toEqual({ hosts: 1_000, metrics: 5, intervalSeconds: 10 });
  });
});

describe('nearest measured shape', () => {
  it('uses an exact match and says so', () => {
    // Act
    const c = chooseShape({ hosts: 10, metrics: 5, intervalSeconds: 300 }, FLEET_SHAPES);

    // Assess
    expect(c.exact).toBe(true);
    expect(c.figures).toBe(FLEET_SHAPES[0]);
    expect(c.note).toBe('measured shape A (10x5/300s): exact');
  });

  it('weighs events per host-minute twice as much as hosts', () => {
    // Act: 10,000 hosts × 5 every 10 s: B has its 30 events per host-minute (distance 0 + 1),
    // C its hosts (2 × log10(120 / 30) = 1.20)
    const c = chooseShape({ hosts: 10_000, metrics: 5, intervalSeconds: 10 }, FLEET_SHAPES);

    // Assess
    expect(c.exact).toBe(false);
    expect(c.figures.name).toBe('B');
    expect(c.note).toBe(
      'approximation: per-event figures of the nearest measured shape B (1000x5/10s; 30 vs 30 events per host-minute, 1000 vs 10000 hosts)',
    );
  });

  it('picks A for a small fleet every minute', () => {
    // Act: 50 × 5 every 60 s, 5 per host-minute: A 2 × 0.70 + 0.70 = 2.10, B 2 × 0.78 + 1.30 = 2.86
    const c = chooseShape({ hosts: 50, metrics: 5, intervalSeconds: 60 }, FLEET_SHAPES);

    // Assess
    expect(c.figures.name).toBe('A');
  });

  it('adapts what follows from the fleet: one record per host and tick, state by hosts × metrics', () => {
    // Act: twice C's hosts, a quarter of its metrics at the same per-host rate is B-like, so keep C's rate
    const c = chooseShape({ hosts: 20_000, metrics: 20, intervalSeconds: 10 }, FLEET_SHAPES);

    // Assess
    expect(c.figures.name).toBe('C');
    expect(c.figures.events_per_record).toBe(20);
    expect(c.figures.record_bytes).toBe(4_000);
    expect(c.figures.max_state_bytes).toBe(200_000);
    expect(c.figures.write_units_per_event).toBe(0.02);
  });

  it('finds every bench:fleet shape in the committed reference', () => {
    // Act
    const ref = loadReference();

    // Assess
    expect(ref.shapes.map((s) => [s.name, s.hosts, s.metrics, s.interval_s])).toEqual([
      ['A', 10, 5, 300],
      ['B', 1_000, 5, 10],
      ['C', 10_000, 20, 10],
      ['D', 10, 5, 0.05],
    ]);
    for (const s of ref.shapes)
      for (const [k, v] of Object.entries(s)) if (k !== 'name') expect(v, k).toBeGreaterThanOrEqual(0);
  });
});

describe('cost model, by hand for 1,200 hosts × 5 metrics every 60 s', () => {
  // Prepare: 100 events/s, 262.8 M events a month; 20 records/s of 1,000 B; 20,000 B/s
  const fleet = { hosts: 1_200, metrics: 5, intervalSeconds: 60 };
  const events = 100 * SECONDS;
  const report = (over: Partial<Parameters<typeof costReport>[0]> = {}): CostReport =>
    costReport(
      {
        fleet,
        choice: { figures: ROUND_FIGURES, measured: fleet, exact: true, note: 'round' },
        seed: ROUND_SEED,
        prices: loadPrices(),
        ...over,
      },
      { minimalStage: MINIMAL_STAGE },
    );

  it('prices the stream: provisioned (1 shard, extended retention, PUT units) beats on-demand', () => {
    // Act
    const r = report();

    // Assess
    const k = P.kinesis;
    const records = 20 * SECONDS;
    const provisioned =
      1 * 730 * (k.provisioned_shard_hour + k.provisioned_extended_retention_shard_hour) +
      (records / 1e6) * k.provisioned_put_units_per_million;
    const ingestGb = (records * 1_024) / GB;
    const onDemand =
      730 * k.on_demand_stream_hour +
      ingestGb * k.on_demand_ingest_per_gb +
      ((20_000 * SECONDS) / GB) * 3 * k.on_demand_retrieval_per_gb +
      ingestGb * (144 / 730) * k.on_demand_extended_retention_per_gb_month;
    expect(provisioned).toBeCloseTo(26.28584, 5);
    expect(onDemand).toBeGreaterThan(provisioned);
    expect(line(r, 'Kinesis Data Streams')).toBeCloseTo(provisioned, 9);
    expect(r.components[0]?.basis).toContain(`On-demand $${onDemand.toFixed(2)}`);
    expect(r.components[0]?.basis).toContain('cdk deploy -c streamMode=provisioned -c shardCount=1');
  });

  it('prices the hot path and the table from the measured units', () => {
    // Act
    const r = report();

    // Assess: 1 shard polled every second (records every time) + a final invoke a minute
    const invocations = SECONDS * (1 + 1 / 60);
    // 50 ms CPU per 1,000 events at 1,024 MB (1,024/1,769 of a vCPU), + 5 ms per request, 16 in flight
    const seconds = ((events * 50) / 1e6) * (1_769 / 1_024) + (events * 0.021 * 0.005) / 16;
    expect(line(r, 'Lambda hot path')).toBeCloseTo(
      seconds * P.lambda.arm_per_gb_second + (invocations / 1e6) * P.lambda.requests_per_million,
      6,
    );
    expect(line(r, 'DynamoDB writes')).toBeCloseTo(((events * 0.02) / 1e6) * 0.625, 9);
    expect(line(r, 'DynamoDB writes')).toBeCloseTo(3.285, 9);
    expect(line(r, 'DynamoDB reads')).toBeCloseTo(((events * 0.001) / 1e6) * 0.125, 9);
    // 1,200 hosts × 1,440 minutes × 30 days of 400 + 100 bytes, storage and PITR
    expect(line(r, 'DynamoDB storage and PITR')).toBeCloseTo(((1_200 * 1_440 * 30 * 500) / GB) * (0.25 + 0.2), 9);
    expect(line(r, 'DynamoDB GSI')).toBe(0);
  });

  it('prices each delivery stream on all it ingests, in 5 KB increments per aggregated record', () => {
    // Act
    const r = report();

    // Assess: 52.56 M records of 1,000 B billed as 5 KB, ingestion and conversion
    const ingested = ((20 * SECONDS * 5_120) / GB) * (0.029 + 0.018);
    const partitioned = ((events * 400) / GB) * 0.02 + (8_760 / 1_000) * 0.005;
    expect(line(r, 'Firehose metric_samples')).toBeCloseTo(ingested + partitioned, 9);
    expect(line(r, 'Firehose log_events')).toBeCloseTo(ingested, 9);
    expect(r.firehose_readings.per_aggregated_record.total_monthly_usd).toBe(r.total_monthly_usd);
    // The other reading: every de-aggregated event billed as 5 KB
    const perEvent = ((events * 5_120) / GB) * (0.029 + 0.018);
    expect(r.firehose_readings.per_event.firehose_ingestion_monthly_usd).toBeCloseTo(2 * perEvent, 6);
    expect(r.firehose_readings.per_event.total_monthly_usd).toBeCloseTo(
      r.total_monthly_usd - 2 * ingested + 2 * perEvent,
      6,
    );
  });

  it('prices the lake, the API share, alarms, dashboard and keys', () => {
    // Act
    const r = report();

    // Assess
    expect(line(r, 'S3 lake storage')).toBeCloseTo(((events * 10) / GB) * 0.023, 9);
    expect(line(r, 'S3 PUT requests')).toBeCloseTo(((8_760 + 730 / 24) / 1_000) * 0.005, 9);
    // 10 % of 100 events/s in requests of 5 events: 2 requests/s
    expect(line(r, 'API Gateway (ingest API)')).toBeCloseTo(((2 * SECONDS) / 1e6) * 3.5, 9);
    expect(line(r, 'DynamoDB idempotency (ingest API)')).toBeCloseTo(
      ((2 * SECONDS * 2) / 1e6) * 0.625 + ((2 * 86_400 * 500) / GB) * 0.45,
      9,
    );
    // 32 alarms reading 49 metrics (the OTLP function's error rate 2 and duration 1; data loss reads its produced count: 1 more)
    expect(line(r, 'CloudWatch alarms')).toBeCloseTo(49 * 0.1, 9);
    expect(line(r, 'CloudWatch dashboard')).toBe(3);
    expect(line(r, 'CloudWatch fleet metrics')).toBe(0);
    expect(line(r, 'KMS')).toBeCloseTo(2 + ((1 * 4 * 12 * 730) / 10_000) * 0.03, 9);
    expect(line(r, 'Step Functions (gold workflow)')).toBeCloseTo((730 / 24) * 9 * (0.025 / 1_000), 12);
    // 5 pollers × one 20-second receive, all month
    expect(line(r, 'SQS (file-drop queue, dead letters)')).toBeCloseTo(((5 * 180 * 730) / 1e6) * 0.4, 9);
    expect(r.fixed_monthly_usd).toBeCloseTo(
      r.fixed_costs.reduce((n, f) => n + f.monthly_usd, 0),
      12,
    );
  });

  it('prices fleet metrics per host over the tiers, with the Metrics Insights alarm', () => {
    // Act: 3,000 hosts × 5 metrics beside the 10 + 22 own: 32 → 15,032 metrics
    const r = report({ fleetMetricHosts: 3_000 });

    // Assess: the first 9,968 at $0.30, the next 5,032 at $0.10, + $0.10 per host analysed
    expect(line(r, 'CloudWatch fleet metrics')).toBeCloseTo(9_968 * 0.3 + 5_032 * 0.1 + 3_000 * 0.1, 6);
    expect(line(r, 'CloudWatch custom metrics')).toBeCloseTo(32 * 0.3, 9);
  });

  it('sums the lines into the totals, per million included', () => {
    // Act
    const r = report();

    // Assess
    expect(r.events_per_month).toBe(events);
    expect(r.total_monthly_usd).toBeCloseTo(
      r.components.reduce((n, c) => n + c.monthly_usd, 0),
      9,
    );
    expect(r.total_per_million_usd).toBeCloseTo((r.total_monthly_usd / events) * 1e6, 12);
    for (const c of [...r.components, ...r.baseline.components]) {
      expect(c.per_million_usd, c.name).toBeCloseTo((c.monthly_usd / events) * 1e6, 12);
      expect(Object.keys(c)).toEqual(['name', 'monthly_usd', 'per_million_usd', 'basis']);
    }
    expect(r.baseline_ratio).toBeCloseTo(r.baseline.total_monthly_usd / r.total_monthly_usd, 12);
  });

  it("prices the seed design's own way on the same fleet", () => {
    // Act
    const r = report();

    // Assess: a run a minute, 43,800 a month
    const b = r.baseline;
    const runs = SECONDS / 60;
    expect(line(b, 'DynamoDB writes (one item per sample)')).toBeCloseTo((events / 1e6) * 0.625, 9);
    expect(line(b, 'DynamoDB writes (one item per sample)')).toBeCloseTo(164.25, 9);
    // 80 ms CPU per 1,000 samples; CPU-bound at 128 MB is 1,769/128 slower and bills 128/1,024 GB
    expect(line(b, 'Lambda (seed collector)')).toBeCloseTo(
      ((events * 80) / 1e6) * (1_769 / 1_024) * P.lambda.arm_per_gb_second + (runs / 1e6) * 0.2,
      6,
    );
    expect(line(b, 'S3 PUT (one JSON file per invocation)')).toBeCloseTo((runs / 1_000) * 0.005, 9);
    expect(line(b, 'S3 storage')).toBeCloseTo(((events * 200) / GB) * 0.023, 9);
    expect(line(b, 'DynamoDB storage')).toBeCloseTo(((events * 200) / GB) * 0.25, 9);
    expect(line(b, 'Step Functions (a run per invocation)')).toBeCloseTo(runs * 3 * (0.025 / 1_000), 9);
    expect(b.total_monthly_usd).toBeCloseTo(
      b.components.reduce((n, c) => n + c.monthly_usd, 0),
      9,
    );
  });

  it('prices a minimal stage without its fixed extras', () => {
    // Act
    const r = report();

    // Assess: no keys, no dashboard, 6 alarms of 7 metrics, 24 h retention (no extended retention)
    const m = r.minimal_stage;
    if (!m) throw new Error('no minimal stage');
    expect(line(m, 'KMS')).toBeCloseTo(((1 * 4 * 12 * 730) / 10_000) * 0.03, 9);
    expect(line(m, 'CloudWatch dashboard')).toBe(0);
    expect(line(m, 'CloudWatch alarms')).toBeCloseTo(0.7, 9);
    expect(line(m, 'Kinesis Data Streams')).toBeCloseTo(730 * 0.015 + 52.56 * 0.014, 9);
    expect(line(m, 'API Gateway (ingest API)')).toBe(0);
    expect(line(m, 'X-Ray traces')).toBe(0);
  });

  it('collects a fleet faster than a minute once a minute in the baseline (EventBridge)', () => {
    // Prepare: the same hosts every 10 s, 600 events/s
    const fast = { hosts: 1_200, metrics: 5, intervalSeconds: 10 };

    // Act
    const r = report({ fleet: fast });

    // Assess: 43,800 runs, not 262,800
    expect(line(r.baseline, 'S3 PUT (one JSON file per invocation)')).toBeCloseTo((43_800 / 1_000) * 0.005, 9);
    expect(line(r.baseline, 'DynamoDB writes (one item per sample)')).toBeCloseTo(((600 * SECONDS) / 1e6) * 0.625, 9);
  });

  it('warns when the ingest API share passes its throttle', () => {
    // Act: half of 1,000 events/s in requests of 2 events: 250 requests/s
    const r = report({
      fleet: { hosts: 12_000, metrics: 5, intervalSeconds: 60 },
      ingestShare: 0.5,
      ingestEventsPerRequest: 2,
    });

    // Assess
    expect(r.warnings).toContain(
      'the ingest API would get 250 requests/s, above its 100/s throttle: raise ingestRateLimit or send more events per request (up to 1000)',
    );
  });

  it('caps the gold check at the workgroup cutoff, and says it then fails', () => {
    // Prepare: 1,000 bytes scanned per event, twice: 17.28 GB a day at 100 events/s
    const heavy = { ...ROUND_FIGURES, gold_scan_bytes_per_event: 1_000 };

    // Act
    const r = report({ choice: { figures: heavy, measured: fleet, exact: true, note: 'heavy' } });

    // Assess: every run of the month scans the 10 GB cutoff: 730 / 24 runs × 10 GB at $5 per TB
    expect(line(r, 'Athena (gold workflow)')).toBeCloseTo((730 / 24) * (10 / 1_024) * 5, 9);
    expect(r.warnings).toEqual([
      "the daily gold check scans the whole metric table (the silver views have no partition predicate): at this shape it passes the workgroup's 10 GB cutoff from day 1, so Athena cancels it and the workflow fails; it needs a partition predicate (analytics-sql/)",
    ]);
    expect(report().warnings).toEqual([]);
  });

  it('refuses an ingest share outside 0–1', () => {
    // Act / Assess
    expect(() => report({ ingestShare: 1.5 })).toThrow('the ingest share must be between 0 and 1, got 1.5');
  });

  it('sizes DynamoDB items by the documented rules', () => {
    // Act / Assess: names + values; a number takes about a byte per two digits plus one
    expect(itemSizeBytes({ pk: { S: 'M#cpu#h1#60000' }, n: { N: '12345' }, b: { B: new Uint8Array(10) } })).toBe(
      2 + 14 + 1 + 4 + 1 + 10,
    );
  });
});
