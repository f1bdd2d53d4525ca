/**
 * What a deployed Pulse stage is made of, as far as the bill goes: the CDK app's defaults
 * (infra/defaults.ts, infra/constructs/*) restated as data the cost model can read without
 * loading the CDK. test/infra/cost-stage.test.ts synthesizes the stack and asserts every
 * value here against the template, so the two cannot drift apart silently.
 */
import { DEFAULT_FLUSH_INTERVAL_SECONDS } from '#core/projections/held-state.js';
import { INGEST_DEFAULTS, INGEST_THROTTLE } from '#core/sources/ingest.js';
import { WINDOWING_DEFAULTS } from '#core/windows/config.js';

/** One alarm of the stage: its name without `pulse-<stage>-`, and the metrics it evaluates (each billed). */
export interface StageAlarm {
  name: string;
  metrics: number;
}

/**
 * The stage's standard alarms (infra/constructs/observability.ts and slo.ts) with the
 * default settings. The Metrics Insights alarm on the hosts `fleetMetricHosts` lists is not
 * here: it is priced by the hosts it analyses. Metric math alarms bill every metric they
 * read: an error rate reads errors and invocations.
 */
export const STAGE_ALARMS: readonly StageAlarm[] = Object.freeze([
  { name: 'hot-path-error-rate', metrics: 2 },
  { name: 'collector-error-rate', metrics: 2 },
  { name: 'ingest-error-rate', metrics: 2 },
  { name: 'file-drop-error-rate', metrics: 2 },
  { name: 'otlp-error-rate', metrics: 2 },
  { name: 'hot-path-duration', metrics: 1 },
  { name: 'collector-duration', metrics: 1 },
  { name: 'ingest-duration', metrics: 1 },
  { name: 'file-drop-duration', metrics: 1 },
  { name: 'otlp-duration', metrics: 1 },
  { name: 'hot-path-iterator-age', metrics: 1 },
  { name: 'stream-iterator-age', metrics: 1 },
  { name: 'window-table-throttles', metrics: 2 },
  { name: 'failed-batches', metrics: 1 },
  { name: 'lake-freshness-metric-samples', metrics: 1 },
  { name: 'lake-conversion-failures-metric-samples', metrics: 1 },
  { name: 'lake-transform-failures-metric-samples', metrics: 1 },
  { name: 'lake-freshness-log-events', metrics: 1 },
  { name: 'lake-conversion-failures-log-events', metrics: 1 },
  { name: 'lake-transform-failures-log-events', metrics: 1 },
  { name: 'quarantined-events', metrics: 1 },
  { name: 'late-events', metrics: 1 },
  { name: 'fleet-cpu', metrics: 1 },
  { name: 'lake-size', metrics: 5 },
  { name: 'dead-letters', metrics: 1 },
  { name: 'file-drop-dead-letters', metrics: 1 },
  { name: 'file-drop-rows-rejected', metrics: 1 },
  { name: 'gold-workflow-failed', metrics: 1 },
  { name: 'ingest-availability', metrics: 2 },
  { name: 'ingest-latency', metrics: 1 },
  { name: 'data-loss', metrics: 7 },
  { name: 'time-to-visible', metrics: 1 },
]);

/** The stage's settings and resources that change the bill. */
export interface StageShape {
  /** Stream capacity mode as deployed (`-c streamMode=`). */
  streamMode: 'on-demand' | 'provisioned';
  /** Stream retention, hours: beyond 24 it is billed as extended retention. */
  retentionHours: number;
  /** Readers of the whole stream with shared throughput: the hot path and one per delivery stream. */
  streamReaders: number;
  /** Hot-path function memory, MB. */
  hotPathMemoryMb: number;
  /** Seconds the event source mapping waits to fill a batch. */
  maxBatchingWindowSeconds: number;
  /** Records per hot-path batch. */
  batchSize: number;
  /** The mapping's tumbling window: one final invoke per shard per window. */
  flushIntervalSeconds: number;
  /** Window writes in flight per invocation (WindowProjection's write pool). */
  writeConcurrency: number;
  /** Days window items live after their window ends (TTL). */
  windowTtlDays: number;
  /** Point-in-time recovery on the window table. */
  pitr: boolean;
  /** Delivery streams, one per event type; each reads the whole stream. */
  deliveryStreams: number;
  /** Firehose buffer, MB and seconds: one object per stream and partition each time either fills. */
  bufferSizeMb: number;
  bufferIntervalSeconds: number;
  /** The transform's Firehose buffer: an invocation per MB or per this many seconds. */
  transformBufferMb: number;
  transformBufferSeconds: number;
  /** Transform function memory, MB. */
  transformMemoryMb: number;
  /** Athena's per-query scan cutoff of the workgroup, GB. */
  bytesScannedCutoffGb: number;
  /** Gold workflow runs a day (EventBridge schedule). */
  goldRunsPerDay: number;
  /** State transitions of one successful gold workflow run. */
  goldTransitions: number;
  /** Queries of one gold run that scan data (view DDL is free): the row-count check. */
  goldScanningQueries: number;
  /** Standard alarms. */
  alarms: readonly StageAlarm[];
  /** The fleet views (`fleetMetrics`): 5 distributions across hosts and a log line per host and minute. */
  fleetViews: boolean;
  /** CloudWatch dashboards. */
  dashboards: number;
  /** Customer-managed KMS keys (the stream's, the alarm topic's). */
  customerManagedKeys: number;
  /** X-Ray active tracing on the functions. */
  tracing: boolean;
  /** Seconds between collector ticks (`rate(5 minutes)`). */
  collectorIntervalSeconds: number;
  /** Collector function memory, MB. */
  collectorMemoryMb: number;
  /** Ingest function memory, MB. */
  ingestMemoryMb: number;
  /** Ingest API stage throttle, requests a second. */
  ingestRateLimit: number;
  /** Most events one ingest request may carry. */
  ingestMaxEvents: number;
}

/** The stage `cdk deploy` makes with no context set. */
export const STAGE_DEFAULTS: Readonly<StageShape> = Object.freeze({
  streamMode: 'on-demand',
  retentionHours: 168,
  streamReaders: 3,
  hotPathMemoryMb: 1_024,
  maxBatchingWindowSeconds: 1,
  batchSize: 1_000,
  flushIntervalSeconds: DEFAULT_FLUSH_INTERVAL_SECONDS,
  writeConcurrency: 16,
  windowTtlDays: WINDOWING_DEFAULTS.ttlDays,
  pitr: true,
  deliveryStreams: 2,
  bufferSizeMb: 128,
  bufferIntervalSeconds: 300,
  transformBufferMb: 1,
  transformBufferSeconds: 60,
  transformMemoryMb: 512,
  bytesScannedCutoffGb: 10,
  goldRunsPerDay: 1,
  // View0..View4, GoldRowCounts, ReadRowCounts, AnyRollupEmpty, Done.
  goldTransitions: 9,
  goldScanningQueries: 1,
  alarms: STAGE_ALARMS,
  fleetViews: true,
  dashboards: 1,
  customerManagedKeys: 2,
  tracing: true,
  collectorIntervalSeconds: 300,
  collectorMemoryMb: 256,
  ingestMemoryMb: 512,
  ingestRateLimit: INGEST_THROTTLE.rateLimit,
  ingestMaxEvents: INGEST_DEFAULTS.maxEvents,
});

/**
 * The least a stage could be for a small fleet, priced beside the default one: a provisioned
 * stream with retention of 24 hours (no extended retention), the stream encrypted with the
 * AWS-managed key and the topic with `alias/aws/sns` (no customer-managed key), the alarms
 * that guard data (errors, iterator age, failed batches, lake delivery, dead letters), no
 * fleet views, no dashboard, no tracing. Not a setting today: most of these are CDK edits, not context keys.
 */
export const MINIMAL_STAGE: Readonly<Partial<StageShape>> = Object.freeze({
  streamMode: 'provisioned',
  retentionHours: 24,
  alarms: STAGE_ALARMS.filter((a) =>
    [
      'hot-path-error-rate',
      'hot-path-iterator-age',
      'failed-batches',
      'lake-freshness-metric-samples',
      'lake-transform-failures-metric-samples',
      'dead-letters',
    ].includes(a.name),
  ),
  fleetViews: false,
  dashboards: 0,
  customerManagedKeys: 0,
  tracing: false,
});
