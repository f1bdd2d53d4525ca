/**
 * The seed design priced on the same fleet, as Pulse's own baseline (not a straw man): seed
 * 000's scheduled Lambda runs once per interval (every 5 minutes for its own fleet), writes
 * one DynamoDB item per sample (one write unit each: items are well under 1 KB), writes one
 * JSON file to S3 per invocation, and its Step Functions workflow runs once per invocation.
 * Where the seed documents leave a choice open, the choice favours the baseline: its Lambda
 * is charged CPU only (no network wait), no PITR, no alarms, no dashboard, no tracing.
 */
import { ASSUMPTIONS, type Bill, fmt, lambdaSeconds, lineMaker, sumBill, usd } from './bill.js';
import { eventsPerSecond, type FleetShape } from './fleet-shape.js';
import type { Prices } from './prices.js';
import type { SeedFigures, ShapeFigures } from './reference.js';

/** Assumptions of the baseline that no seed document fixes, as data. */
export const SEED_ASSUMPTIONS = Object.freeze({
  /** EventBridge schedules run at most once a minute: a faster fleet is collected a minute at a time. */
  minScheduleSeconds: 60,
  /** The seed function's memory, MB (CPU-bound GB-seconds do not depend on it below 1,769 MB). */
  memoryMb: 128,
  /** Transitions of one scheduled workflow run: invoke the collector, check its result, succeed. */
  transitionsPerRun: 3,
  /** The function's own log line per invocation, bytes (beside Lambda's START/END/REPORT). */
  logBytesPerInvocation: 200,
});

/** The seed design's bill for `fleet`, with its assumptions in words. */
export function seedBaseline(
  fleet: FleetShape,
  seed: SeedFigures,
  figures: Pick<ShapeFigures, 'name'>,
  p: Prices,
): Bill & { assumptions: string[] } {
  const A = SEED_ASSUMPTIONS;
  const seconds = ASSUMPTIONS.hoursPerMonth * 3_600;
  const events = eventsPerSecond(fleet) * seconds;
  const line = lineMaker(events);
  const every = Math.max(fleet.intervalSeconds, A.minScheduleSeconds);
  const invocations = seconds / every;
  const cpu = (events * seed.cpu_ms_per_1000_samples) / 1e6;
  const gbS = lambdaSeconds(cpu, A.memoryMb) * (A.memoryMb / 1_024);
  const GB = 2 ** 30;
  const d = p.dynamodb;
  const unitsPerItem = Math.max(1, Math.ceil(seed.item_bytes / 1_024));
  const tableGb = (events * (seed.item_bytes + ASSUMPTIONS.dynamoItemOverheadBytes)) / GB;
  const jsonGb = (events * seed.json_bytes_per_sample) / GB;
  const transitions = invocations * A.transitionsPerRun;
  const logGb = (invocations * (A.logBytesPerInvocation + ASSUMPTIONS.platformLogBytesPerInvocation)) / GB;
  const components = [
    line(
      'Lambda (seed collector)',
      gbS * p.lambda.arm_per_gb_second + (invocations / 1e6) * p.lambda.requests_per_million,
      `${fmt(invocations)} invocations (every ${fmt(every)} s) + ${fmt(seed.cpu_ms_per_1000_samples)} ms CPU per 1,000 samples (bench:seed-baseline: SDK marshalling and signing, no network wait) = ${fmt(gbS)} GB-s`,
    ),
    line(
      'DynamoDB writes (one item per sample)',
      ((events * unitsPerItem) / 1e6) * d.on_demand_write_units_per_million,
      `${fmt(events / 1e6)} M samples × ${unitsPerItem} write unit (${seed.item_bytes} B items) × ${usd(d.on_demand_write_units_per_million)}/M`,
    ),
    line(
      'DynamoDB storage',
      tableGb * d.storage_per_gb_month,
      `a month of sample items kept a month (as Pulse's 30-day windows): ${fmt(tableGb)} GB × ${usd(d.storage_per_gb_month)}; no PITR`,
    ),
    line(
      'S3 PUT (one JSON file per invocation)',
      (invocations / 1_000) * p.s3.put_per_1000,
      `${fmt(invocations)} files × ${usd(p.s3.put_per_1000)}/1,000`,
    ),
    line(
      'S3 storage',
      jsonGb * p.s3.standard_per_gb_month,
      `a month of JSON, ${seed.json_bytes_per_sample} B per sample (${fmt(jsonGb)} GB), kept a month × ${usd(p.s3.standard_per_gb_month)}`,
    ),
    line(
      'Step Functions (a run per invocation)',
      (transitions / 1_000) * p.stepfunctions.standard_per_1000_transitions,
      `${fmt(invocations)} scheduled runs × ${A.transitionsPerRun} transitions (assumed) × ${usd(p.stepfunctions.standard_per_1000_transitions)}/1,000`,
      (transitions / 1_000) * p.stepfunctions.standard_per_1000_transitions,
    ),
    line(
      'CloudWatch Logs (Lambda)',
      logGb * (p.cloudwatch.logs_ingest_per_gb + p.cloudwatch.logs_storage_per_gb_month),
      `${fmt(invocations)} invocations × ${A.logBytesPerInvocation + ASSUMPTIONS.platformLogBytesPerInvocation} B (a log line, START/END/REPORT) ingested and kept a month; no custom metrics, alarms or dashboard`,
    ),
  ];
  return {
    ...sumBill(components, events),
    assumptions: [
      `runs once per interval, at most once a minute (EventBridge's finest schedule): every ${fmt(every)} s`,
      'one DynamoDB item per sample (1 write unit), one JSON file per invocation, one workflow run per invocation',
      `${A.transitionsPerRun} workflow transitions a run; Lambda CPU only (no network wait), ${A.memoryMb} MB; no PITR, alarms, dashboard or tracing`,
      `the same fleet as Pulse's (${figures.name} figures price Pulse; the seed's own are measured by bench:seed-baseline)`,
    ],
  };
}
