/** The cost lines of the lake: Firehose, the transforms, S3, Athena, Glue and the gold workflow. */
import { ASSUMPTIONS, fmt, lambdaSeconds, type PricedLine, usd } from './bill.js';
import { GB, KB, MB, type PricingContext } from './pricing.js';

/** The lake's lines, Firehose's ingestion in both readings, and what later lines need. */
export interface LakeLines {
  lines: PricedLine[];
  /** GB Firehose bills per stream when it rounds each aggregated record to 5 KB, and each event. */
  aggregatedGb: number;
  perEventGb: number;
  /** Price per ingested GB: ingestion plus format conversion. */
  perIngestedGb: number;
  transformInvocations: number;
  transformInvocationsPerS: number;
  /** Gold workflow runs in the month, and their state transitions. */
  runs: number;
  transitions: number;
}

/** Both delivery streams, the transforms, S3 requests and storage, and the gold check (Athena, Glue, Step Functions); warns when the check passes its scan cutoff. */
export function lakeLines(c: PricingContext, stream: { records: number }): LakeLines {
  const { stage, prices: p, figures: f, seconds, rate, events, warnings, line, lambdaCost } = c;
  const A = ASSUMPTIONS;
  const { records } = stream;
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
  return {
    lines: [metricsStream, logsStream, transform, puts, lake, getsLine, athena, glue, stepFunctions],
    aggregatedGb,
    perEventGb,
    perIngestedGb,
    transformInvocations,
    transformInvocationsPerS,
    runs,
    transitions,
  };
}
