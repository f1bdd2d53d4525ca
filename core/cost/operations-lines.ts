/** The cost lines of operating the stage: CloudWatch, KMS, SQS and X-Ray. */
import { ASSUMPTIONS, fmt, type PricedLine, usd } from './bill.js';
import { GB, customMetricsMonthly, type PricingContext } from './pricing.js';

/** What the operations lines read of the other groups: invocations, requests and runs. */
export interface OperationsVolume {
  shards: number;
  hotInvocations: number;
  hotInvocationsPerS: number;
  transformInvocations: number;
  transformInvocationsPerS: number;
  requests: number;
  requestsPerS: number;
  ticks: number;
  runs: number;
  transitions: number;
}

/** CloudWatch metrics, fleet metrics, logs, alarms and dashboard; KMS; the SQS queues; X-Ray traces. */
export function operationsLines(c: PricingContext, v: OperationsVolume): PricedLine[] {
  const { fleet, stage, prices: p, figures: f, seconds, fleetMetricHosts, line } = c;
  const A = ASSUMPTIONS;
  const { shards, hotInvocations, hotInvocationsPerS, transformInvocations, transformInvocationsPerS } = v;
  const { requests, requestsPerS, ticks, runs, transitions } = v;
  // ---- CloudWatch --------------------------------------------------------
  const cw = p.cloudwatch;
  // The measured hot-path metrics include the fleet views' 5 distributions.
  const hotMetrics = f.custom_metrics - (stage.fleetViews ? 0 : A.fleetMetricsPerHost);
  const ownMetrics = hotMetrics + A.sourceCustomMetrics;
  const ownMetricsMonthly = customMetricsMonthly(ownMetrics, cw.custom_metric_tiers);
  const customMetrics = line(
    'CloudWatch custom metrics',
    ownMetricsMonthly,
    `${hotMetrics} hot-path metrics (distinct EMF metric and dimension sets, measured${stage.fleetViews ? `, the fleet views' ${A.fleetMetricsPerHost} distributions across hosts included` : ', without the fleet views'}) + ${A.sourceCustomMetrics} of the other functions (counted from their EMF), billed per metric-month over the tiers; the failure bucket's S3 request metrics bill only in hours with failed batches`,
    ownMetricsMonthly,
  );
  const fleetMetricCount = fleetMetricHosts * A.fleetMetricsPerHost;
  const fleetMetricsMonthly =
    customMetricsMonthly(ownMetrics + fleetMetricCount, cw.custom_metric_tiers) - ownMetricsMonthly;
  const enabledAll =
    customMetricsMonthly(ownMetrics + fleet.hosts * A.fleetMetricsPerHost, cw.custom_metric_tiers) -
    ownMetricsMonthly +
    fleet.hosts * cw.metrics_insights_alarm_per_metric_analyzed_month;
  const fleetMetrics = line(
    'CloudWatch fleet metrics',
    fleetMetricsMonthly + fleetMetricHosts * cw.metrics_insights_alarm_per_metric_analyzed_month,
    `${fleetMetricHosts} hosts with per-host metrics (--fleet-metric-hosts; off by default) × ${A.fleetMetricsPerHost} metrics, tiered, + the listed hosts' CPU alarm (Metrics Insights, grouped by host) at ${usd(cw.metrics_insights_alarm_per_metric_analyzed_month)} per host analysed; listing all ${fmt(fleet.hosts)} hosts would cost ${usd(enabledAll)} a month`,
    fleetMetricsMonthly + fleetMetricHosts * cw.metrics_insights_alarm_per_metric_analyzed_month,
  );
  const hotLogBytes =
    hotInvocations * (f.emf_bytes_per_invocation + f.log_bytes_per_invocation + A.platformLogBytesPerInvocation);
  const otherLogBytes =
    transformInvocations * A.platformLogBytesPerInvocation +
    requests * (A.ingestLogBytesPerRequest + A.platformLogBytesPerInvocation) +
    ticks * (A.collectorLogBytesPerTick + A.platformLogBytesPerInvocation) +
    transitions * A.workflowLogBytesPerTransition;
  const logGb = (hotLogBytes + otherLogBytes) / GB;
  const logs = line(
    'CloudWatch Logs ingestion (EMF and logs)',
    logGb * cw.logs_ingest_per_gb,
    `hot path ${fmt(hotInvocations / 1e6)} M invocations × (${fmt(f.emf_bytes_per_invocation)} B EMF + ${fmt(f.log_bytes_per_invocation)} B log, measured, + ${A.platformLogBytesPerInvocation} B START/END/REPORT) + transforms, ingest requests (access log, log line, EMF: ${A.ingestLogBytesPerRequest} B), collector ticks and workflow events: ${fmt(logGb)} GB × ${usd(cw.logs_ingest_per_gb)}`,
  );
  const logStorage = line(
    'CloudWatch Logs storage',
    logGb * cw.logs_storage_per_gb_month,
    `30 days of retention keep about a month of logs: ${fmt(logGb)} GB at the ingested size (billed compressed, so less) × ${usd(cw.logs_storage_per_gb_month)}`,
  );
  const alarmMetrics = stage.alarms.reduce((n, a) => n + a.metrics, 0);
  const alarmsMonthly = alarmMetrics * cw.standard_alarm_per_metric_month;
  const alarms = line(
    'CloudWatch alarms',
    alarmsMonthly,
    `${stage.alarms.length} standard alarms reading ${alarmMetrics} metrics (error rates and throttles read two, lake size five) × ${usd(cw.standard_alarm_per_metric_month)}; the listed hosts' Metrics Insights alarm is priced with the fleet metrics`,
    alarmsMonthly,
  );
  const dashboardsMonthly = stage.dashboards * cw.dashboard_month;
  const dashboard = line(
    'CloudWatch dashboard',
    dashboardsMonthly,
    `${stage.dashboards} dashboard × ${usd(cw.dashboard_month)} (an account's first 3 are free); viewing it calls GetMetricData, not priced`,
    dashboardsMonthly,
  );

  // ---- KMS, SQS, X-Ray ---------------------------------------------------
  const kmsKeys = stage.customerManagedKeys * p.kms.key_month;
  const kmsRequests = shards * A.kmsPrincipals * A.kmsRequestsPerShardPrincipalHour * A.hoursPerMonth;
  const kms = line(
    'KMS',
    kmsKeys + (kmsRequests / 10_000) * p.kms.requests_per_10000,
    `${stage.customerManagedKeys} customer-managed keys (stream, alarm topic) × ${usd(p.kms.key_month)} + ${fmt(kmsRequests)} requests × ${usd(p.kms.requests_per_10000)}/10,000 (assumed: Kinesis reuses a data key about 5 minutes per shard and principal, ${A.kmsPrincipals} principals: producers and 3 readers; the buckets use SSE-S3 and the tables AWS-owned keys: no requests)`,
    kmsKeys,
  );
  // Lambda long-polls the file-drop queue whether files arrive or not; files add a few requests each.
  const sqsPolls = A.sqsIdlePollers * (3_600 / A.sqsLongPollSeconds) * A.hoursPerMonth;
  const sqsMonthly = (sqsPolls / 1e6) * p.sqs.requests_per_million;
  const sqs = line(
    'SQS (file-drop queue, dead letters)',
    sqsMonthly,
    `the file-drop queue: Lambda long-polls it with about ${A.sqsIdlePollers} pollers, one ${A.sqsLongPollSeconds}-second receive each = ${fmt(sqsPolls)} requests × ${usd(p.sqs.requests_per_million)}/M, idle or not (a dropped file adds a send, a receive and a delete); the dead-letter queues hold a message only when a tick or a file fails every attempt, nothing polls them (their alarms read free SQS metrics)`,
    sqsMonthly,
  );
  const tracedPerS = hotInvocationsPerS + transformInvocationsPerS + requestsPerS + 1 / stage.collectorIntervalSeconds;
  const tracesPerS = stage.tracing
    ? Math.min(tracedPerS, A.xrayReservoirPerSecond) + A.xrayRate * Math.max(0, tracedPerS - A.xrayReservoirPerSecond)
    : 0;
  const traces = tracesPerS * seconds + (stage.tracing ? runs : 0);
  const xray = line(
    'X-Ray traces',
    (traces / 1e6) * p.xray.traces_recorded_per_million,
    stage.tracing
      ? `active tracing on every function and the workflow: ${fmt(tracedPerS)} invocations/s sampled by the default rule (${A.xrayReservoirPerSecond}/s, then ${A.xrayRate * 100} %) = ${fmt(traces / 1e6)} M traces × ${usd(p.xray.traces_recorded_per_million)}/M`
      : 'tracing off',
  );
  return [customMetrics, fleetMetrics, logs, logStorage, alarms, dashboard, kms, sqs, xray];
}
