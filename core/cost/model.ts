/**
 * The monthly AWS bill of a deployed Pulse stage for a fleet, component by component, and
 * beside it the bill of the seed design on the same fleet (core/cost/baseline.ts). Requests,
 * bytes and CPU per event come from measured figures (reference-fleet.json, or a local run
 * when asked for), prices from the dated list prices-2026-11.json, the stage's resources
 * from stage.ts. Every line says how it was computed (`basis`); docs/cost.md explains each.
 *
 * A month is 730 hours; a GB is 2^30 bytes; the fleet is steady.
 */
import { seedBaseline } from './baseline.js';
import { ASSUMPTIONS, type Bill, type PricedLine, fmt, lambdaSeconds, lineMaker, sumBill, usd } from './bill.js';
import { eventsPerSecond, type FleetShape, formatFleetShape } from './fleet-shape.js';
import type { Prices } from './prices.js';
import type { SeedFigures, ShapeChoice, ShapeFigures } from './reference.js';
import { STAGE_DEFAULTS, type StageShape } from './stage.js';

export type { Measured } from './reference.js';
export { loadPrices, type Prices } from './prices.js';

/** What the model needs to price a stage for a fleet. */
export interface CostInput {
  fleet: FleetShape;
  /** The measured figures and how they fit the fleet. */
  choice: ShapeChoice;
  seed: SeedFigures;
  prices: Prices;
  /** Overrides of the deployed stage (default: {@link STAGE_DEFAULTS}). */
  stage?: Partial<StageShape>;
  /** Hosts with per-host fleet metrics in CloudWatch (default 0: off). */
  fleetMetricHosts?: number;
  /** Share of events that arrive through the HTTP ingest API, 0–1 (default 0.1). */
  ingestShare?: number;
  /** Events per ingest request (default: the fleet's metrics, one request per host and tick). */
  ingestEventsPerRequest?: number;
}

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

const GB = 2 ** 30;
const MB = 2 ** 20;
const KB = 1_024;

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

/** Pulse's lines for the fleet on `stage`, and the Firehose ingestion of each reading. */
function pulseLines(
  input: CostInput,
  stage: StageShape,
): { components: PricedLine[]; perEventIngestion: number; aggregatedIngestion: number; warnings: string[] } {
  const { fleet, prices: p } = input;
  const f: ShapeFigures = input.choice.figures;
  const A = ASSUMPTIONS;
  const seconds = A.hoursPerMonth * 3_600;
  const rate = eventsPerSecond(fleet);
  const events = rate * seconds;
  const fleetMetricHosts = input.fleetMetricHosts ?? 0;
  const ingestShare = input.ingestShare ?? 0.1;
  const perRequest = input.ingestEventsPerRequest ?? fleet.metrics;
  const warnings: string[] = [];
  const line = lineMaker(events);
  const lambdaCost = (gbSeconds: number, invocations: number) =>
    gbSeconds * p.lambda.arm_per_gb_second + (invocations / 1e6) * p.lambda.requests_per_million;

  // ---- Kinesis -----------------------------------------------------------
  const recordsPerS = rate / f.events_per_record;
  const bytesPerS = rate * f.stream_bytes_per_event;
  const records = recordsPerS * seconds;
  const need = shardNeed(bytesPerS, recordsPerS, stage.streamReaders, f.max_state_bytes * f.shards);
  const shards = need.shards;
  const k = p.kinesis;
  const extended = stage.retentionHours > 24;
  const odIngestGb = (records * Math.ceil(f.record_bytes / KB) * KB) / GB;
  const streamGb = (bytesPerS * seconds) / GB;
  const odHours = A.hoursPerMonth * k.on_demand_stream_hour;
  const odRetention = extended
    ? odIngestGb * ((stage.retentionHours - 24) / A.hoursPerMonth) * k.on_demand_extended_retention_per_gb_month
    : 0;
  const onDemand =
    odHours +
    odIngestGb * k.on_demand_ingest_per_gb +
    streamGb * stage.streamReaders * k.on_demand_retrieval_per_gb +
    odRetention;
  const shardHourPrice = k.provisioned_shard_hour + (extended ? k.provisioned_extended_retention_shard_hour : 0);
  const provHours = shards * A.hoursPerMonth * shardHourPrice;
  const putUnits = records * Math.ceil(f.record_bytes / (25 * KB));
  const provisioned = provHours + (putUnits / 1e6) * k.provisioned_put_units_per_million;
  const cheaper = provisioned <= onDemand ? 'provisioned' : 'on-demand';
  const deployedNote =
    stage.streamMode === cheaper
      ? `The stage deploys ${cheaper} (streamMode)`
      : `The stage deploys ${stage.streamMode} (streamMode): ${cheaper} is cheaper at this rate; ${
          cheaper === 'provisioned'
            ? `cdk deploy -c streamMode=provisioned -c shardCount=${shards} makes it so`
            : 'cdk deploy -c streamMode=on-demand makes it so'
        }`;
  const kinesis = line(
    'Kinesis Data Streams',
    Math.min(provisioned, onDemand),
    `${cheaper} chosen. Provisioned ${usd(provisioned)}: ${shards} shard${shards === 1 ? '' : 's'} (max of ${need.byWrite} for ${fmt(bytesPerS / MB)} MB/s in, ${need.byRecords} for ${fmt(recordsPerS)} records/s, ${need.byRead} for ${stage.streamReaders} readers × ${fmt(bytesPerS / MB)} MB/s at 2 MB/s a shard, ${need.byState} for the held state) × ${A.hoursPerMonth} h × ${usd(shardHourPrice)}${extended ? ` (incl. extended retention for ${stage.retentionHours} h)` : ''} + ${fmt(putUnits / 1e6)} M PUT payload units (25 KB, ${fmt(f.record_bytes)} B records). ` +
      `On-demand ${usd(onDemand)}: ${usd(odHours)} stream-hours + ${fmt(odIngestGb)} GB in (records rounded up to 1 KB) × ${usd(k.on_demand_ingest_per_gb)} + ${fmt(streamGb)} GB × ${stage.streamReaders} readers (hot path, ${stage.deliveryStreams} delivery streams) × ${usd(k.on_demand_retrieval_per_gb)}${extended ? ` + ${usd(odRetention)} retention beyond 24 h` : ''}. ${deployedNote}.`,
    cheaper === 'provisioned' ? provHours : odHours,
  );

  // ---- Hot path ----------------------------------------------------------
  const perShardRecordsPerS = recordsPerS / shards;
  const pollsWithRecords = 1 - Math.exp(-perShardRecordsPerS * stage.maxBatchingWindowSeconds);
  const batchesPerPoll = Math.max(
    1,
    Math.ceil((perShardRecordsPerS * stage.maxBatchingWindowSeconds) / stage.batchSize),
  );
  const finals =
    stage.flushIntervalSeconds > 0
      ? (1 - Math.exp(-perShardRecordsPerS * stage.flushIntervalSeconds)) / stage.flushIntervalSeconds
      : 0;
  const hotInvocationsPerS = shards * ((pollsWithRecords * batchesPerPoll) / stage.maxBatchingWindowSeconds + finals);
  const hotInvocations = hotInvocationsPerS * seconds;
  const hotCpu = (events * f.hot_path_ms_per_1000) / 1e6;
  const hotWait =
    (events * (f.writes_per_event + f.read_units_per_event) * A.dynamoRequestMs) / 1_000 / stage.writeConcurrency;
  const hotSeconds = lambdaSeconds(hotCpu, stage.hotPathMemoryMb) + hotWait;
  const hotGbS = hotSeconds * (stage.hotPathMemoryMb / 1_024);
  const hotPath = line(
    'Lambda hot path',
    lambdaCost(hotGbS, hotInvocations),
    `${fmt(f.hot_path_ms_per_1000)} ms CPU per 1,000 events (measured) at ${stage.hotPathMemoryMb} MB (${fmt(Math.min(1, stage.hotPathMemoryMb / A.fullVcpuMb))} vCPU) + ${A.dynamoRequestMs} ms per DynamoDB request, ${stage.writeConcurrency} in flight = ${fmt(hotGbS)} GB-s; ${fmt(hotInvocations / 1e6)} M invocations (${shards} shards polled every ${stage.maxBatchingWindowSeconds} s, a poll finds records ${fmt(pollsWithRecords * 100)} % of the time, + a final invoke per ${stage.flushIntervalSeconds} s window)`,
  );

  // ---- DynamoDB ----------------------------------------------------------
  const d = p.dynamodb;
  const writeUnits = events * f.write_units_per_event;
  const writes = line(
    'DynamoDB writes',
    (writeUnits / 1e6) * d.on_demand_write_units_per_million,
    `${fmt(f.write_units_per_event)} write units per event measured (checkpoints ${fmt(f.checkpoint_write_units_per_event)}, held state, ${stage.flushIntervalSeconds} s flush): ${fmt(writeUnits / 1e6)} M units`,
  );
  const readUnits = events * f.read_units_per_event;
  const reads = line(
    'DynamoDB reads',
    (readUnits / 1e6) * d.on_demand_read_units_per_million,
    `${fmt(f.read_units_per_event)} read units per event measured (checkpoint reads, item merges after a cache miss): ${fmt(readUnits / 1e6)} M units`,
  );
  const minutesPerDay = 1_440 * Math.min(1, 60 / fleet.intervalSeconds);
  const items = fleet.hosts * minutesPerDay * stage.windowTtlDays;
  const tableGb = (items * (f.finest_window_item_bytes + A.dynamoItemOverheadBytes)) / GB;
  const storagePrice = d.storage_per_gb_month + (stage.pitr ? d.pitr_per_gb_month : 0);
  const storage = line(
    'DynamoDB storage and PITR',
    tableGb * storagePrice,
    `${fmt(items / 1e6)} M host-minute items kept ${stage.windowTtlDays} days by TTL (${fleet.hosts} hosts × ${fmt(minutesPerDay)} minutes with a sample a day; hour items hold only corrections) × ${fmt(f.finest_window_item_bytes)} B + ${A.dynamoItemOverheadBytes} B overhead = ${fmt(tableGb)} GB × (${usd(d.storage_per_gb_month)} storage${stage.pitr ? ` + ${usd(d.pitr_per_gb_month)} PITR` : ''}); steady state once the TTL turns over`,
  );
  const gsi = line('DynamoDB GSI', 0, 'no GSI: host items keyed by bucket, see docs/hot-path.md');

  // ---- Firehose ----------------------------------------------------------
  const fh = p.firehose;
  const aggregatedGb = (records * Math.ceil(f.record_bytes / (5 * KB)) * 5 * KB) / GB;
  const perEventGb = (events * Math.ceil(f.event_bytes / (5 * KB)) * 5 * KB) / GB;
  const convertedGb = (events * f.ndjson_bytes_per_event) / GB;
  const bufferBytes = stage.bufferSizeMb * MB;
  const convertedPerS = rate * f.ndjson_bytes_per_event;
  const objectsPerS = Math.max(1 / stage.bufferIntervalSeconds, convertedPerS / bufferBytes) * A.activePartitions;
  const objects = objectsPerS * seconds;
  // Conversion "uses GBs billed for ingestion": each stream converting pays it on all it ingests.
  const perIngestedGb = fh.ingest_per_gb + fh.format_conversion_per_gb;
  const ingestion = aggregatedGb * perIngestedGb;
  const metricsStream = line(
    'Firehose metric_samples',
    ingestion +
      convertedGb * fh.dynamic_partitioning_per_gb +
      (objects / 1_000) * fh.dynamic_partitioning_per_1000_objects,
    `ingests the whole stream: ${fmt(records / 1e6)} M records of ${fmt(f.record_bytes)} B, each billed in 5 KB increments = ${fmt(aggregatedGb)} GB × (${usd(fh.ingest_per_gb)} ingestion + ${usd(fh.format_conversion_per_gb)} format conversion, billed on the ingested GB) (per-event reading: ${fmt(perEventGb)} GB); the transform keeps the metric samples: ${fmt(convertedGb)} GB of JSON (${fmt(f.ndjson_bytes_per_event)} B/event) × ${usd(fh.dynamic_partitioning_per_gb)} dynamic partitioning + ${fmt(objects)} objects × ${usd(fh.dynamic_partitioning_per_1000_objects)}/1,000 (keys from the transform: no JQ hours)`,
  );
  const logsStream = line(
    'Firehose log_events',
    ingestion,
    `ingests the whole stream too: ${fmt(aggregatedGb)} GB × (${usd(fh.ingest_per_gb)} + ${usd(fh.format_conversion_per_gb)} conversion, enabled on the stream and billed on what it ingests); its transform drops every metric sample, so nothing is partitioned or delivered (the fleet sends no logs)`,
  );

  // ---- Transform ---------------------------------------------------------
  const transformInputPerS = rate * f.event_bytes;
  const transformInvocationsPerS =
    2 * Math.max(1 / stage.transformBufferSeconds, transformInputPerS / (stage.transformBufferMb * MB));
  const transformInvocations = transformInvocationsPerS * seconds;
  const transformCpu = (events * (f.transform_ms_per_1000 + f.drop_ms_per_1000)) / 1e6;
  const transformGbS = lambdaSeconds(transformCpu, stage.transformMemoryMb) * (stage.transformMemoryMb / 1_024);
  const transform = line(
    'Lambda transforms',
    lambdaCost(transformGbS, transformInvocations),
    `${fmt(f.transform_ms_per_1000)} ms CPU per 1,000 events decoded to JSON + ${fmt(f.drop_ms_per_1000)} ms per 1,000 dropped by the other stream's transform (measured), at ${stage.transformMemoryMb} MB (${fmt(Math.min(1, stage.transformMemoryMb / A.fullVcpuMb))} vCPU) = ${fmt(transformGbS)} GB-s; ${fmt(transformInvocations / 1e6)} M invocations (each stream every ${stage.transformBufferMb} MB or ${stage.transformBufferSeconds} s)`,
  );

  // ---- S3, Athena, Glue, Step Functions -----------------------------------
  const s = p.s3;
  const runs = (stage.goldRunsPerDay * A.hoursPerMonth) / 24;
  const puts = line(
    'S3 PUT requests',
    ((objects + runs * stage.goldScanningQueries) / 1_000) * s.put_per_1000,
    `${fmt(objects)} Parquet objects (one per ${stage.bufferIntervalSeconds} s or ${stage.bufferSizeMb} MB of JSON per stream with data and open hour partition) + ${fmt(runs)} Athena result files × ${usd(s.put_per_1000)}/1,000`,
  );
  const lakeGb = (events * f.parquet_bytes_per_event) / GB;
  const lake = line(
    'S3 lake storage',
    lakeGb * s.standard_per_gb_month,
    `a month of Parquet, ${fmt(f.parquet_bytes_per_event)} B/event (${fmt(lakeGb)} GB), kept a month in S3 Standard × ${usd(s.standard_per_gb_month)}; the lake never expires: each month adds as much (Intelligent-Tiering after 30 days)`,
  );
  // The gold check scans the whole metric table (the silver views carry no partition
  // predicate): day d of the first month reads d days of the lake, up to the cutoff.
  const cutoff = stage.bytesScannedCutoffGb * GB;
  const perDayScan = A.metricScansPerCheck * f.gold_scan_bytes_per_event * rate * 86_400;
  const objectsPerDay = objectsPerS * 86_400;
  let scanned = 0;
  let gets = 0;
  let cutFrom = 0;
  const days = A.hoursPerMonth / 24;
  for (let day = 1; day <= Math.ceil(days); day++) {
    const weight = Math.min(1, days - (day - 1));
    const want = perDayScan * day;
    if (want > cutoff && cutFrom === 0) cutFrom = day;
    const read = Math.max(p.athena.minimum_mb_per_query * MB, Math.min(cutoff, want));
    scanned += weight * stage.goldRunsPerDay * read;
    gets +=
      weight *
      stage.goldRunsPerDay *
      A.metricScansPerCheck *
      A.getsPerObjectScanned *
      objectsPerDay *
      day *
      Math.min(1, want > 0 ? cutoff / want : 1);
  }
  if (cutFrom > 0) {
    warnings.push(
      `the daily gold check scans the whole metric table (the silver views have no partition predicate): at this shape it passes the workgroup's ${stage.bytesScannedCutoffGb} GB cutoff from day ${cutFrom}, so Athena cancels it and the workflow fails; it needs a partition predicate (analytics-sql/)`,
    );
  }
  const getsLine = line(
    'S3 GET requests (Athena)',
    (gets / 1_000) * s.get_per_1000,
    `the daily gold check reads every metric_samples object ${A.metricScansPerCheck} times (${A.getsPerObjectScanned} GETs each), the lake growing ${fmt(objectsPerDay)} objects a day; first month ${fmt(gets)} GETs × ${usd(s.get_per_1000)}/1,000`,
  );
  const athena = line(
    'Athena (gold workflow)',
    (scanned / 2 ** 40) * p.athena.per_tb_scanned,
    `${fmt(runs)} runs; each scans ${A.metricScansPerCheck} × ${fmt(f.gold_scan_bytes_per_event)} B/event (the columns it reads) of every event so far, at least ${p.athena.minimum_mb_per_query} MB, at most the ${stage.bytesScannedCutoffGb} GB cutoff: ${fmt(scanned / GB)} GB in the first month × ${usd(p.athena.per_tb_scanned)}/TB; the view DDL is free`,
  );
  const glueRequests =
    runs * A.glueRequestsPerQuery * (stage.goldScanningQueries + 5) + objects * A.glueRequestsPerObject;
  const glue = line(
    'Glue Data Catalog',
    (glueRequests / 1e6) * p.glue.catalog_requests_per_million,
    `${fmt(glueRequests)} requests (${A.glueRequestsPerQuery} per Athena query, ${A.glueRequestsPerObject} per Parquet object for the schema) × ${usd(p.glue.catalog_requests_per_million)}/M; 8 catalog objects (database, 2 tables, 5 views) are far below 1 M; no crawler (partition projection), no Glue jobs`,
  );
  const transitions = runs * stage.goldTransitions;
  const stepFunctions = line(
    'Step Functions (gold workflow)',
    (transitions / 1_000) * p.stepfunctions.standard_per_1000_transitions,
    `${fmt(runs)} runs × ${stage.goldTransitions} transitions (5 views, row counts, results, choice, done) × ${usd(p.stepfunctions.standard_per_1000_transitions)}/1,000`,
    (transitions / 1_000) * p.stepfunctions.standard_per_1000_transitions,
  );

  // ---- Ingest API, collector ---------------------------------------------
  const requestsPerS = (ingestShare * rate) / perRequest;
  const requests = requestsPerS * seconds;
  if (requestsPerS > stage.ingestRateLimit) {
    warnings.push(
      `the ingest API would get ${fmt(requestsPerS)} requests/s, above its ${stage.ingestRateLimit}/s throttle: raise ingestRateLimit or send more events per request (up to ${stage.ingestMaxEvents})`,
    );
  }
  const api = line(
    'API Gateway (ingest API)',
    (requests / 1e6) * p.apigateway.rest_requests_per_million,
    `${fmt(ingestShare * 100)} % of events arrive through the REST ingest API, ${fmt(perRequest)} events a request (limit ${stage.ingestMaxEvents}): ${fmt(requestsPerS)} requests/s, ${fmt(requests / 1e6)} M × ${usd(p.apigateway.rest_requests_per_million)}/M (--ingest-share, --ingest-events-per-request)`,
  );
  const ingestSeconds = requests * ((A.ingestRequestMs + perRequest * A.ingestMsPerEvent) / 1_000);
  const ingestFn = line(
    'Lambda ingest API',
    lambdaCost(ingestSeconds * (stage.ingestMemoryMb / 1_024), requests),
    `${fmt(requests / 1e6)} M invocations × ${fmt(A.ingestRequestMs + perRequest * A.ingestMsPerEvent)} ms at ${stage.ingestMemoryMb} MB (assumed, not measured: PutRecords and two idempotency writes waited for, validation)`,
  );
  const idempotencyGb =
    (requestsPerS * A.idempotencyTtlSeconds * (A.idempotencyRecordBytes + A.dynamoItemOverheadBytes)) / GB;
  const idempotency = line(
    'DynamoDB idempotency (ingest API)',
    ((requests * A.idempotencyWritesPerRequest) / 1e6) * d.on_demand_write_units_per_million +
      idempotencyGb * storagePrice,
    `${A.idempotencyWritesPerRequest} write units per request with an Idempotency-Key (in progress, completed) + a day of records (${fmt(idempotencyGb)} GB) stored with PITR`,
  );
  const ticks = seconds / stage.collectorIntervalSeconds;
  const collector = line(
    'Lambda collector (schedule)',
    lambdaCost((ticks * A.collectorTickMs * stage.collectorMemoryMb) / 1_000 / 1_024, ticks),
    `${fmt(ticks)} ticks (every ${stage.collectorIntervalSeconds} s) × ${A.collectorTickMs} ms at ${stage.collectorMemoryMb} MB, assumed; its synthetic hosts' events are not added to the fleet's; the EventBridge schedule is free`,
    lambdaCost((ticks * A.collectorTickMs * stage.collectorMemoryMb) / 1_000 / 1_024, ticks),
  );

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

  return {
    components: [
      kinesis,
      hotPath,
      writes,
      reads,
      storage,
      gsi,
      metricsStream,
      logsStream,
      transform,
      puts,
      lake,
      getsLine,
      athena,
      glue,
      stepFunctions,
      api,
      ingestFn,
      idempotency,
      collector,
      customMetrics,
      fleetMetrics,
      logs,
      logStorage,
      alarms,
      dashboard,
      kms,
      sqs,
      xray,
    ],
    aggregatedIngestion: 2 * aggregatedGb * perIngestedGb,
    perEventIngestion: 2 * perEventGb * perIngestedGb,
    warnings,
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
