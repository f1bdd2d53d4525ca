/**
 * The summary of a local run, counted once it stopped and caught up: what every source
 * produced, what the stream holds (counted with the consumer API: the reference for
 * conservation, see ./conservation.ts), what the windows, the side outputs and the lake
 * hold, latency, throughput and the SLOs. Also writes measured.json (./measured.ts).
 */
import { join } from 'node:path';
import { listShards } from '#core/clients/kinesis.js';
import { StreamDecoder } from '#core/contract/consumer.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { LakeQuery, syncLake } from '#core/lake/lake-query.js';
import type { Producer } from '#core/produce/producer.js';
import { SideOutputStore } from '#core/projections/side-outputs.js';
import type { WindowReader } from '#core/projections/window-reader.js';
import { evaluateSlos, type SloReport } from '#core/slo/slos.js';
import type { WindowingConfig } from '#core/windows/config.js';
import { writeMeasured } from './measured.js';
import type { ConservationCounts } from './conservation.js';
import type { RunMeter } from './run-meter.js';
import type { LocalClients, LocalNames } from './servers.js';
import type { LocalSources, SourceCounts } from './sources.js';
import { shardPages } from './streams.js';

/**
 * The final summary `pulse start` prints as its last line: the counts conservation compares
 * ({@link ConservationCounts}: stream events, undecodable, windowed, late, quarantined, lake rows)
 * and the run's own figures.
 */
export interface PipelineSummary extends ConservationCounts {
  /** Events the stream accepted in this run, from every source. */
  produced: number;
  /** `produced` by source. */
  sources: SourceCounts & { fleet: number };
  /**
   * Notifications of dropped files that went to the dead-letter queue after their last
   * receive (each file is under failed/ with the reason).
   */
  file_drop_dead_letters: number;
  parquet_files: number;
  /** Stream arrival to window written (visible), 95th percentile. */
  p95_latency_ms: number;
  p50_latency_ms: number;
  p99_latency_ms: number;
  events_per_s: number;
  duration_s: number;
  windows: number;
  /** Window items the hot path wrote in this run. */
  window_writes: number;
  /** Write units those writes and the shard checkpoints' cost, as DynamoDB bills them. */
  write_units: number;
  /** Seconds from the end of producing to every event windowed and in the lake. */
  catch_up_s: number;
  /** The hot path's flush interval (0: every batch writes). */
  flush_interval_s: number;
  /** Seed 003's SLOs measured on this run (see core/slo/slos.ts). */
  slo: SloReport;
  dynamodb: 'dynamodb-local' | 'dynalite';
}

/** A stopped run: its parts, and when it stopped producing and caught up. */
export interface StoppedRun {
  registry: SchemaRegistry;
  dataDir: string;
  hosts: number;
  shards: number;
  flushIntervalSeconds: number;
  config: WindowingConfig;
  clients: LocalClients;
  names: LocalNames;
  reader: WindowReader;
  meter: RunMeter;
  producer: Producer;
  sources: LocalSources | undefined;
  /** Events each source put in this run (the sources that ran). */
  bySource: Partial<SourceCounts> & { fleet: number };
  parquetFiles: number;
  dynamodb: PipelineSummary['dynamodb'];
  /** When producing stopped and when both paths had caught up (ms since the epoch). */
  producedAt: number;
  caughtUpAt: number;
}

/** Counts what the run left (see the module comment) and writes measured.json. */
export async function summarizeRun(run: StoppedRun): Promise<PipelineSummary> {
  const finest = run.config.windowSizesMs[0] as number;
  const totals = await run.reader.countWindowed(finest);
  const { late, quarantined } = await countSideOutputs(run, finest);
  const lakeDir = join(run.dataDir, 'lake');
  const parquetRows = await countLakeEvents(run, lakeDir);
  const { streamEvents, undecodable } = await countStream(run);
  const latency = run.meter.latency();
  const sources = { collector: 0, agent: 0, ingest_api: 0, file_drop: 0, otlp: 0, ...run.bySource };
  const produced =
    sources.fleet + sources.collector + sources.agent + sources.ingest_api + sources.file_drop + sources.otlp;
  const seconds = (run.producedAt - run.meter.startedAt) / 1000;
  await writeMeasured({ ...run, producer: run.producer.stats(), windowed: totals.events, parquetRows, lakeDir });
  return {
    produced,
    sources,
    file_drop_dead_letters: run.sources?.dropDeadLetters() ?? 0,
    stream_events: streamEvents,
    undecodable,
    windowed: totals.events,
    late,
    quarantined,
    parquet_rows: parquetRows,
    parquet_files: run.parquetFiles,
    p95_latency_ms: latency.p95,
    p50_latency_ms: latency.p50,
    p99_latency_ms: latency.p99,
    events_per_s: Math.round(produced / Math.max(seconds, 0.001)),
    duration_s: Math.round(seconds * 10) / 10,
    windows: totals.windows,
    window_writes: run.meter.hot.windowsWritten,
    write_units: run.meter.hot.writeUnits,
    catch_up_s: Math.round((run.caughtUpAt - run.producedAt) / 100) / 10,
    flush_interval_s: run.flushIntervalSeconds,
    slo: evaluateSlos({
      ingest: run.sources?.ingestStats() ?? { requests: 0, serverErrors: 0, p95Ms: null },
      acknowledged: streamEvents,
      inWindows: totals.events + late + quarantined,
      inLake: parquetRows + undecodable,
      freshnessP95Ms: latency.samples === 0 ? null : latency.p95,
      flushIntervalSeconds: run.flushIntervalSeconds,
    }),
    dynamodb: run.dynamodb,
  };
}

/** Late events of the finest windows and quarantined records, over every shard. */
async function countSideOutputs(run: StoppedRun, finest: number): Promise<{ late: number; quarantined: number }> {
  const sideOutputs = new SideOutputStore(run.clients.ddb, run.names.windowTable, run.config.ttlDays);
  let late = 0;
  let quarantined = 0;
  for (const shard of await listShards(run.clients.kinesis, run.names.stream)) {
    late += (await sideOutputs.late(shard.ShardId as string, finest)).length;
    quarantined += (await sideOutputs.quarantined(shard.ShardId as string)).length;
  }
  return { late, quarantined };
}

/** Distinct event identities in the lake, every run on this data dir (silver dedups on identity). */
async function countLakeEvents(run: StoppedRun, lakeDir: string): Promise<number> {
  await syncLake(run.clients.s3, run.names.lakeBucket, lakeDir);
  const lake = await LakeQuery.open(run.registry, lakeDir);
  try {
    const rows = await lake.query(
      'SELECT (SELECT count(*) FROM silver_metric_samples) + (SELECT count(*) FROM silver_log_events) AS n',
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    lake.close();
  }
}

/** What the stream holds, counted with the consumer API, and how much of it does not decode. */
async function countStream(run: StoppedRun): Promise<{ streamEvents: number; undecodable: number }> {
  const { kinesis } = run.clients;
  const decoder = new StreamDecoder(run.registry);
  let streamEvents = 0;
  let undecodable = 0;
  for (const shard of await listShards(kinesis, run.names.stream)) {
    for await (const page of shardPages(kinesis, run.names.stream, shard.ShardId as string)) {
      for (const r of page) {
        const { events, poison } = decoder.decode(r);
        streamEvents += events.length + poison.length;
        undecodable += poison.length;
      }
    }
  }
  return { streamEvents, undecodable };
}
