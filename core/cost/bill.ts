/**
 * A bill as lines with their basis, the assumptions no measurement backs (as data), and the
 * small arithmetic both bills share (Pulse's in model.ts, the seed design's in baseline.ts).
 */

/** One line of a bill. */
export interface CostComponent {
  name: string;
  monthly_usd: number;
  per_million_usd: number;
  /** How it was computed, in words and figures. */
  basis: string;
}

/** A line with the part of it that does not follow the events (stream hours, alarms, keys, dashboards). */
export interface PricedLine extends CostComponent {
  fixed_monthly_usd: number;
}

/** A bill: its lines and their sum. */
export interface Bill {
  total_monthly_usd: number;
  total_per_million_usd: number;
  components: CostComponent[];
  /** What the bill costs whatever the events: the lines' fixed parts, and their sum. */
  fixed_monthly_usd: number;
  fixed_costs: { name: string; monthly_usd: number }[];
}

/** Assumptions the model makes that no measurement backs, as data (docs/cost.md explains each). */
export const ASSUMPTIONS = Object.freeze({
  hoursPerMonth: 730,
  /** Lambda gives a function one vCPU at 1,769 MB and a share in proportion below: CPU-bound work takes longer. */
  fullVcpuMb: 1_769,
  /** One DynamoDB request waited for, ms (in-region, single-digit). */
  dynamoRequestMs: 5,
  /** The held state at which a shard flushes early (nine tenths of Lambda's 1 MB). */
  stateBytesPerShard: 900_000,
  /** Lambda's START, END and REPORT lines (with the X-Ray trace id) per invocation, bytes. */
  platformLogBytesPerInvocation: 400,
  /** Firehose holds one event-time hour partition open at a time per stream (late data aside). */
  activePartitions: 1,
  /** GETs Athena makes per Parquet object it scans (footer, then the column chunks it needs). */
  getsPerObjectScanned: 2,
  /** Table scans of one gold check: gold_metrics_hourly and gold_metrics_daily each read silver_metric_samples. */
  metricScansPerCheck: 2,
  /** Glue requests per Athena query (database, tables, views) and per Firehose object (schema). */
  glueRequestsPerQuery: 10,
  glueRequestsPerObject: 1,
  /** Kinesis SSE: one KMS request per shard, per principal (producers' role, each reader), per 5 minutes. */
  kmsRequestsPerShardPrincipalHour: 12,
  kmsPrincipals: 4,
  /** Ingest API: one request waited for (PutRecords, two idempotency writes) and validation per event, ms. */
  ingestRequestMs: 30,
  ingestMsPerEvent: 0.02,
  /** Ingest API: bytes per request of access log, the function's log line and its EMF document. */
  ingestLogBytesPerRequest: 1_200,
  /** Idempotency: two writes per request (in progress, completed), each under 1 KB; the record kept a day, ~400 B. */
  idempotencyWritesPerRequest: 2,
  idempotencyRecordBytes: 400,
  idempotencyTtlSeconds: 86_400,
  /** Collector: one tick waited for, ms, and its log and EMF bytes. */
  collectorTickMs: 300,
  collectorLogBytesPerTick: 1_200,
  /**
   * Custom metrics of the other functions, counted (one per EMF name per function: each has
   * its own `function_name`): collector 3 (SloProduced, Ticks, EventsProduced), ingest 6
   * (SloProduced, 3 request classes, EventsAccepted, EventsRejected), file drop 5
   * (SloProduced, 4 file and row counts), and 4 per transform × 2 (SloLake, RecordsOk,
   * RecordsDropped, RecordsProcessingFailed). Ingest availability and latency are API
   * Gateway's own metrics, free.
   */
  sourceCustomMetrics: 3 + 6 + 5 + 4 * 2,
  /** Lambda's SQS event source: long-polling connections to an idle queue, and the seconds one receive waits. */
  sqsIdlePollers: 5,
  sqsLongPollSeconds: 20,
  /** Fleet metrics: 5 per host. */
  fleetMetricsPerHost: 5,
  /** Step Functions logs (level ALL, no execution data): bytes per state transition. */
  workflowLogBytesPerTransition: 600,
  /** X-Ray default sampling: the first request each second, then 5 %. */
  xrayReservoirPerSecond: 1,
  xrayRate: 0.05,
  /** DynamoDB bills 100 bytes of overhead per stored item. */
  dynamoItemOverheadBytes: 100,
});

/** `n` formatted for a basis: at most 3 significant decimals, thousands separated. */
export function fmt(n: number): string {
  if (n === 0 || !Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(abs)));
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A dollar amount for a basis. */
export function usd(n: number): string {
  return `$${fmt(n)}`;
}

/** Lambda seconds for `cpuSeconds` of CPU-bound work at `memoryMb` (a vCPU share below 1,769 MB). */
export function lambdaSeconds(cpuSeconds: number, memoryMb: number): number {
  return cpuSeconds / Math.min(1, memoryMb / ASSUMPTIONS.fullVcpuMb);
}

/** Sums `lines` into a bill over `eventsPerMonth`. */
export function sumBill(lines: PricedLine[], eventsPerMonth: number): Bill {
  const total = lines.reduce((n, c) => n + c.monthly_usd, 0);
  return {
    total_monthly_usd: total,
    total_per_million_usd: (total / eventsPerMonth) * 1e6,
    components: lines.map(({ name, monthly_usd, per_million_usd, basis }) => ({
      name,
      monthly_usd,
      per_million_usd,
      basis,
    })),
    fixed_monthly_usd: lines.reduce((n, c) => n + c.fixed_monthly_usd, 0),
    fixed_costs: lines
      .filter((c) => c.fixed_monthly_usd > 0)
      .map((c) => ({ name: c.name, monthly_usd: c.fixed_monthly_usd })),
  };
}

/** A line maker for a bill over `eventsPerMonth` events. */
export function lineMaker(eventsPerMonth: number) {
  return (name: string, monthly: number, basis: string, fixed = 0): PricedLine => ({
    name,
    monthly_usd: monthly,
    per_million_usd: (monthly / eventsPerMonth) * 1e6,
    basis,
    fixed_monthly_usd: fixed,
  });
}
