/**
 * The parts of a local pipeline and how they are built: in order, in one pass, each from
 * the parts before it (servers, then the hot path, the lake, the producer, the sources,
 * the fleet and the dashboard). ./pipeline.ts runs and stops them.
 */
import type { SchemaRegistry } from '#core/contract/registry.js';
import { Producer } from '#core/produce/producer.js';
import { DEFAULT_FLUSH_INTERVAL_SECONDS } from '#core/projections/held-state.js';
import { WindowReader } from '#core/projections/window-reader.js';
import { type WindowingConfig, windowingConfigFromEnv } from '#core/windows/config.js';
import { startDashboard } from './dashboard/server.js';
import type { DataDirLock } from './data-dir-lock.js';
import { FleetRunner } from './fleet-runner.js';
import { pipelineHealth, type RunningParts } from './health.js';
import { createHotPathRunner } from './hot-path-runner.js';
import type { LocalServer } from './kinesis-server.js';
import { LakeRunner } from './lake-runner.js';
import { PositionsFile } from './positions.js';
import { RunMeter } from './run-meter.js';
import { LocalServers } from './servers.js';
import { LocalSources } from './sources.js';

/** Settings of a local run. */
export interface PipelineOptions {
  registry: SchemaRegistry;
  /** Where s3rver keeps objects and the lake cache lives. */
  dataDir: string;
  hosts: number;
  /** Target events per second from the synthetic fleet. */
  rate: number;
  /** Stop producing after this many events (undefined: until stop()). */
  maxEvents?: number;
  shards: number;
  /**
   * Seconds the hot path holds window state before writing it (the mapping's tumbling
   * window; default {@link DEFAULT_FLUSH_INTERVAL_SECONDS}, as in AWS; 0: every batch writes).
   */
  flushIntervalSeconds?: number;
  kinesisPort?: number;
  /** How far in the past event time starts (default 30 minutes; see ./fleet-runner.ts). */
  backfillMs?: number;
  /** Dashboard port (0: any free port; undefined: no dashboard). */
  dashboardPort?: number;
  /**
   * The other sources (collector schedule, ingest API, file drop, host agent); each is
   * off unless set. The file drop watches the drop bucket whenever sources are set.
   */
  sources?: {
    /** Collector interval, ms (0: no schedule; ticks can still be run by `LocalPipeline.sources`). */
    collectorEveryMs?: number;
    /** Servers per collector tick (default 10). */
    collectorHosts?: number;
    /** Ingest API port (0: any free port; undefined: none). */
    ingestPort?: number;
    /** Host agent interval, ms (0 or undefined: no agent). */
    agentEveryMs?: number;
    /** Ingest throttle (default: the API's stage throttling). */
    ingestThrottle?: { rateLimit: number; burstLimit: number };
  };
  log?: (line: string) => void;
}

/** Every part of a pipeline, built before the pipeline (see {@link buildParts}). */
export interface PipelineParts extends RunningParts {
  options: PipelineOptions;
  lock: DataDirLock;
  config: WindowingConfig;
  flushIntervalSeconds: number;
  servers: LocalServers;
  reader: WindowReader;
  fleet: FleetRunner;
  resumed: boolean;
  dashboard: LocalServer | undefined;
}

/**
 * Builds every part of a pipeline, in order, in one pass; `undo` collects how to stop
 * each part that started, for `LocalPipeline.create` to run if a later step fails.
 */
export async function buildParts(
  o: PipelineOptions,
  lock: DataDirLock,
  undo: (() => unknown)[],
): Promise<PipelineParts> {
  const log = o.log ?? (() => {});
  // The hot path's own settings (PULSE_WINDOW_SIZES_MS, PULSE_LOG_COUNTS_BY_HOST, …), as in
  // Lambda; read before any server starts, so a bad value leaves nothing running.
  const config = windowingConfigFromEnv(process.env);
  const { servers, fresh } = await LocalServers.start({
    dataDir: o.dataDir,
    shards: o.shards,
    kinesisPort: o.kinesisPort,
    sources: o.sources !== undefined,
    log,
  });
  undo.push(() => servers.stop());
  const { clients, names } = servers;
  const { registry } = o;
  const meter = new RunMeter();
  const flushIntervalSeconds = o.flushIntervalSeconds ?? DEFAULT_FLUSH_INTERVAL_SECONDS;
  const hotPath = createHotPathRunner({ clients, names, registry, config, flushIntervalSeconds, meter });
  const positions = new PositionsFile(o.dataDir, 'delivery');
  const lake = await LakeRunner.create({ clients, names, registry, positions, meter });
  undo.push(() => lake.close());
  const producer = await Producer.create({
    kinesis: clients.kinesis,
    streamName: names.stream,
    registry,
    lingerMs: 50,
  });
  const sources = o.sources ? await startSources(o.sources, o, servers, log, undo) : undefined;
  servers.writeEndpoints();
  // (positions saved on a stream that is gone mean nothing on a new one)
  const resumed = !fresh;
  if (resumed) {
    const lakeFrom = lake.resume() ? 'its saved positions' : 'the start (nothing was flushed yet)';
    log(
      `resuming from the checkpoints in ${o.dataDir}: the stream continues, the lake from ${lakeFrom}, the windows are rebuilt from the stream`,
    );
  }
  const fleet = new FleetRunner({
    producer,
    hosts: o.hosts,
    rate: o.rate,
    maxEvents: o.maxEvents,
    backfillMs: o.backfillMs,
    resumed,
    onPresent: () => sources?.startClocks(),
  });
  const reader = new WindowReader(clients.ddb, names.windowTable, config);
  const running = { meter, producer, sources, hotPath, lake };
  const dashboard =
    o.dashboardPort === undefined
      ? undefined
      : await startDashboard({ reader, port: o.dashboardPort, health: async () => ({ ...pipelineHealth(running) }) });
  if (dashboard) log(`dashboard ${dashboard.endpoint}`);
  return { ...running, options: o, lock, config, flushIntervalSeconds, servers, reader, fleet, resumed, dashboard };
}

/** Starts the sources on the local servers, and queues again the files an earlier run left in incoming/. */
async function startSources(
  s: NonNullable<PipelineOptions['sources']>,
  o: PipelineOptions,
  servers: LocalServers,
  log: (line: string) => void,
  undo: (() => unknown)[],
): Promise<LocalSources> {
  const { clients, names } = servers;
  const sources = new LocalSources({
    ...clients,
    registry: o.registry,
    streamName: names.stream,
    idempotencyTable: names.idempotencyTable,
    collectorEveryMs: s.collectorEveryMs ?? 0,
    collectorHosts: s.collectorHosts ?? 10,
    ...(s.ingestPort !== undefined ? { ingestPort: s.ingestPort } : {}),
    agentEveryMs: s.agentEveryMs ?? 0,
    ...(s.ingestThrottle ? { throttle: s.ingestThrottle } : {}),
    log,
  });
  servers.onDropEvent((e) => sources.onS3Event(e));
  undo.push(() => sources.stop());
  await sources.start();
  if (sources.ingestUrl) log(`ingest   POST ${sources.ingestUrl}`);
  if (sources.ingestUrl) log(`otlp     POST ${sources.ingestUrl.replace(/\/v1\/events$/, '')}/v1/metrics, /v1/logs`);
  log(`drop     s3://${names.dropBucket}/incoming/ (.csv, .jsonl)`);
  const requeued = await sources.requeueIncoming(names.dropBucket);
  if (requeued > 0) log(`drop     ${requeued} file(s) left in incoming/ by an earlier run: queued again`);
  return sources;
}
