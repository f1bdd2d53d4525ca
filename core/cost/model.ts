/**
 * The monthly AWS bill of a deployed Pulse stage for a fleet, component by component, and
 * beside it the bill of the seed design on the same fleet (core/cost/baseline.ts). Requests,
 * bytes and CPU per event come from measured figures (reference-fleet.json, or a local run
 * when asked for), prices from the dated list prices-2026-11.json, the stage's resources
 * from stage.ts. Every line says how it was computed (`basis`); docs/cost.md explains each.
 *
 * A month is 730 hours; a GB is 2^30 bytes; the fleet is steady.
 *
 * The lines come in four groups, each in its own module: stream-lines.ts (Kinesis, hot
 * path, DynamoDB), lake-lines.ts (Firehose, transforms, S3, Athena, Glue, Step Functions),
 * source-lines.ts (ingest API, collector), operations-lines.ts (CloudWatch, KMS, SQS,
 * X-Ray); pricing.ts holds what they share.
 */
import { seedBaseline } from './baseline.js';
import { ASSUMPTIONS, type Bill, type PricedLine, sumBill } from './bill.js';
import { eventsPerSecond, formatFleetShape } from './fleet-shape.js';
import { lakeLines } from './lake-lines.js';
import { operationsLines } from './operations-lines.js';
import { type CostInput, pricingContext } from './pricing.js';
import { sourceLines } from './source-lines.js';
import { STAGE_DEFAULTS, type StageShape } from './stage.js';
import { streamLines } from './stream-lines.js';

export type { Measured } from './reference.js';
export { loadPrices, type Prices } from './prices.js';
export { type CostInput, customMetricsMonthly, type ShardNeed, shardNeed } from './pricing.js';

/** One reading of Firehose's 5 KB rounding: both streams' ingestion and conversion, and the total. */
export interface FirehoseReading {
  firehose_ingestion_monthly_usd: number;
  total_monthly_usd: number;
  total_per_million_usd: number;
}

/** Both readings of Firehose's 5 KB rounding (see docs/cost.md). */
export interface FirehoseReadings {
  /** Main total: Firehose rounds each aggregated Kinesis record it reads up to 5 KB. */
  per_aggregated_record: FirehoseReading;
  /** Pessimistic: it rounds each de-aggregated event up to 5 KB. */
  per_event: FirehoseReading;
}

/** The report `pulse cost` prints. */
export interface CostReport extends Bill {
  fleet: string;
  events_per_second: number;
  events_per_month: number;
  shape_used: { name: string; fleet: string; exact: boolean; note: string };
  firehose_readings: FirehoseReadings;
  /** The seed design on the same fleet. */
  baseline: Bill & { assumptions: string[] };
  /** Baseline total / Pulse total (main reading). */
  baseline_ratio: number;
  /** The same fleet on {@link MINIMAL_STAGE}-like settings, when given. */
  minimal_stage?: Bill & { settings: string };
  /** Things the figures show that an operator must know (throttles, cut-off scans). */
  warnings: string[];
  prices_as_of: string;
  measurements: string;
}

/** Pulse's lines for the fleet on `stage`, and the Firehose ingestion of each reading. */
function pulseLines(
  input: CostInput,
  stage: StageShape,
): { components: PricedLine[]; perEventIngestion: number; aggregatedIngestion: number; warnings: string[] } {
  const c = pricingContext(input, stage);
  const stream = streamLines(c);
  const lake = lakeLines(c, stream);
  const sources = sourceLines(c, stream);
  const operations = operationsLines(c, { ...stream, ...lake, ...sources });
  return {
    components: [...stream.lines, ...lake.lines, ...sources.lines, ...operations],
    aggregatedIngestion: 2 * lake.aggregatedGb * lake.perIngestedGb,
    perEventIngestion: 2 * lake.perEventGb * lake.perIngestedGb,
    warnings: c.warnings,
  };
}

/**
 * The bill of a Pulse stage for a steady fleet, beside the seed design's on the same fleet.
 * @throws RangeError for an ingest share outside 0–1 or events per request below 1
 */
export function costReport(input: CostInput, options: { minimalStage?: Partial<StageShape> } = {}): CostReport {
  const share = input.ingestShare ?? 0.1;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`the ingest share must be between 0 and 1, got ${share}`);
  const perRequest = input.ingestEventsPerRequest ?? input.fleet.metrics;
  if (!(perRequest >= 1)) throw new RangeError(`events per ingest request must be at least 1, got ${perRequest}`);
  const stage: StageShape = { ...STAGE_DEFAULTS, ...input.stage };
  const rate = eventsPerSecond(input.fleet);
  const events = rate * ASSUMPTIONS.hoursPerMonth * 3_600;
  const main = pulseLines(input, stage);
  const pulse = sumBill(main.components, events);
  const perEventTotal = pulse.total_monthly_usd - main.aggregatedIngestion + main.perEventIngestion;
  const baseline = seedBaseline(input.fleet, input.seed, input.choice.figures, input.prices);
  let minimal: CostReport['minimal_stage'];
  if (options.minimalStage) {
    const small = pulseLines({ ...input, fleetMetricHosts: 0, ingestShare: 0 }, { ...stage, ...options.minimalStage });
    minimal = {
      ...sumBill(small.components, events),
      settings:
        'provisioned stream with 24 h retention, AWS-managed keys, 6 alarms (hot-path errors and iterator age, failed batches, lake freshness and transform failures, dead letters), no fleet views, dashboard or tracing, no ingest API traffic',
    };
  }
  const f = input.choice.figures;
  return {
    fleet: formatFleetShape(input.fleet),
    events_per_second: rate,
    events_per_month: events,
    ...pulse,
    shape_used: {
      name: f.name,
      fleet: formatFleetShape(input.choice.measured),
      exact: input.choice.exact,
      note: input.choice.note,
    },
    firehose_readings: {
      per_aggregated_record: {
        firehose_ingestion_monthly_usd: main.aggregatedIngestion,
        total_monthly_usd: pulse.total_monthly_usd,
        total_per_million_usd: pulse.total_per_million_usd,
      },
      per_event: {
        firehose_ingestion_monthly_usd: main.perEventIngestion,
        total_monthly_usd: perEventTotal,
        total_per_million_usd: (perEventTotal / events) * 1e6,
      },
    },
    baseline,
    baseline_ratio: baseline.total_monthly_usd / pulse.total_monthly_usd,
    ...(minimal ? { minimal_stage: minimal } : {}),
    warnings: main.warnings,
    prices_as_of: input.prices.as_of,
    measurements: f.name,
  };
}
