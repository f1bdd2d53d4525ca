/**
 * What every group of cost lines reads: the fleet, the stage, the prices and measured
 * figures, the month's events, and a line maker; plus the two sizing rules more than one
 * group needs (Kinesis shards, tiered custom metrics).
 */
import { ASSUMPTIONS, lineMaker } from './bill.js';
import { eventsPerSecond, type FleetShape } from './fleet-shape.js';
import type { Prices } from './prices.js';
import type { SeedFigures, ShapeChoice, ShapeFigures } from './reference.js';
import type { StageShape } from './stage.js';

/** Bytes in a GB, MB and KB as AWS bills them (binary). */
export const GB = 2 ** 30;
/** Bytes in a MB. */
export const MB = 2 ** 20;
/** Bytes in a KB. */
export const KB = 1_024;

/** What the model needs to price a stage for a fleet. */
export interface CostInput {
  fleet: FleetShape;
  /** The measured figures and how they fit the fleet. */
  choice: ShapeChoice;
  seed: SeedFigures;
  prices: Prices;
  /** Overrides of the deployed stage (default: STAGE_DEFAULTS). */
  stage?: Partial<StageShape>;
  /** Hosts with per-host fleet metrics in CloudWatch (default 0: off). */
  fleetMetricHosts?: number;
  /** Share of events that arrive through the HTTP ingest API, 0–1 (default 0.1). */
  ingestShare?: number;
  /** Events per ingest request (default: the fleet's metrics, one request per host and tick). */
  ingestEventsPerRequest?: number;
}

/** The inputs of one pricing, with the defaults filled in and the month's figures derived. */
export interface PricingContext {
  fleet: FleetShape;
  stage: StageShape;
  prices: Prices;
  /** The measured figures of the chosen shape. */
  figures: ShapeFigures;
  /** Seconds in the month (730 hours). */
  seconds: number;
  /** Events per second of the fleet. */
  rate: number;
  /** Events in the month. */
  events: number;
  fleetMetricHosts: number;
  ingestShare: number;
  /** Events per ingest API request. */
  perRequest: number;
  /** Things an operator must know, added to by the groups of lines. */
  warnings: string[];
  /** Makes a priced line over the month's events. */
  line: ReturnType<typeof lineMaker>;
  /** Lambda's price of `gbSeconds` and `invocations` (Arm). */
  lambdaCost: (gbSeconds: number, invocations: number) => number;
}

/** The context of pricing `input` on `stage`. */
export function pricingContext(input: CostInput, stage: StageShape): PricingContext {
  const { fleet, prices: p } = input;
  const seconds = ASSUMPTIONS.hoursPerMonth * 3_600;
  const rate = eventsPerSecond(fleet);
  const events = rate * seconds;
  return {
    fleet,
    stage,
    prices: p,
    figures: input.choice.figures,
    seconds,
    rate,
    events,
    fleetMetricHosts: input.fleetMetricHosts ?? 0,
    ingestShare: input.ingestShare ?? 0.1,
    perRequest: input.ingestEventsPerRequest ?? fleet.metrics,
    warnings: [],
    line: lineMaker(events),
    lambdaCost: (gbSeconds, invocations) =>
      gbSeconds * p.lambda.arm_per_gb_second + (invocations / 1e6) * p.lambda.requests_per_million,
  };
}

/** Monthly cost of `count` custom metrics over the price tiers. */
export function customMetricsMonthly(count: number, tiers: Prices['cloudwatch']['custom_metric_tiers']): number {
  let left = count;
  let below = 0;
  let total = 0;
  for (const t of tiers) {
    const size = t.up_to === null ? left : Math.min(left, t.up_to - below);
    total += size * t.per_metric_month;
    left -= size;
    below = t.up_to ?? below;
    if (left <= 0) break;
  }
  return total;
}

/** Kinesis shards a provisioned stream needs, and why. */
export interface ShardNeed {
  shards: number;
  byWrite: number;
  byRecords: number;
  byRead: number;
  byState: number;
}

/**
 * Shards: 1 MB/s and 1,000 records/s of writes each; 2 MB/s of reads shared by every reader
 * of the whole stream; and the held state of a minute of each shard's hosts within
 * {@link ASSUMPTIONS.stateBytesPerShard} (the measured figures hold only without early flushes).
 */
export function shardNeed(
  bytesPerSecond: number,
  recordsPerSecond: number,
  readers: number,
  stateBytes: number,
): ShardNeed {
  const byWrite = Math.ceil(bytesPerSecond / MB);
  const byRecords = Math.ceil(recordsPerSecond / 1_000);
  const byRead = Math.ceil((readers * bytesPerSecond) / (2 * MB));
  const byState = Math.ceil(stateBytes / ASSUMPTIONS.stateBytesPerShard);
  return { shards: Math.max(1, byWrite, byRecords, byRead, byState), byWrite, byRecords, byRead, byState };
}
