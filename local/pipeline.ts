/**
 * Local mode: the whole pipeline on one machine. Local servers that speak the AWS
 * protocols (kinesalite, DynamoDB Local or dynalite, s3rver; ./servers.ts), resources
 * created from the shared definitions, the synthetic fleet through the real producer
 * (./fleet-runner.ts), the real hot-path handler behind a local event source mapping
 * (./hot-path-runner.ts), and a local delivery stream (the real Firehose transform,
 * Parquet; ./lake-runner.ts) reading the same stream. The summary of a run is counted in
 * ./summary.ts, its live counters in ./health.ts.
 */
import { mkdirSync } from 'node:fs';
import type { Producer } from '#core/produce/producer.js';
import type { WindowReader } from '#core/projections/window-reader.js';
import type { WindowingConfig } from '#core/windows/config.js';
import { lockDataDir } from './data-dir-lock.js';
import type { KinesisEventSourceMapping } from './event-source-mapping.js';
import { type PipelineHealth, pipelineHealth } from './health.js';
import type { LakeRunner } from './lake-runner.js';
import { buildParts, type PipelineOptions, type PipelineParts } from './pipeline-parts.js';
import type { LatencyPercentiles } from './run-meter.js';
import type { LocalSources } from './sources.js';
import { type PipelineSummary, summarizeRun } from './summary.js';

export type { PipelineHealth } from './health.js';
export type { PipelineSummary } from './summary.js';
export type { PipelineOptions } from './pipeline-parts.js';

/** A part of the running pipeline stopped on an error it does not retry (see {@link LocalPipeline.failure}). */
export class PipelineStoppedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PipelineStoppedError';
  }
}

/** What {@link LocalPipeline.run} started. */
interface Running {
  hot: Promise<void>;
  lake: Promise<void>;
  producing: Promise<void>;
  /** Resolves with the first error that stopped a part. */
  failed: Promise<PipelineStoppedError>;
}

/** See the module comment. */
export class LocalPipeline {
  /** The hot path's windowing settings (from the environment, as in Lambda). */
  readonly config: WindowingConfig;
  readonly producer: Producer;
  /** The hot path's event source mapping. */
  readonly hotPath: KinesisEventSourceMapping;
  /** The delivery stream's event source mapping. */
  readonly lake: KinesisEventSourceMapping;
  /** The delivery streams, one per event type. */
  readonly deliveries: LakeRunner['deliveries'];
  /** Reads the windows the hot path wrote. */
  readonly reader: WindowReader;
  /** The collector, ingest API, file drop and host agent, when enabled. */
  readonly sources: LocalSources | undefined;
  /** True when this run continues an earlier one on the same data dir. */
  readonly resumed: boolean;
  /** The dashboard's address, when it runs. */
  readonly dashboardUrl: string | undefined;
  private running: Running | undefined;

  private constructor(private readonly parts: PipelineParts) {
    this.config = parts.config;
    this.producer = parts.producer;
    this.hotPath = parts.hotPath;
    this.lake = parts.lake.mapping;
    this.deliveries = parts.lake.deliveries;
    this.reader = parts.reader;
    this.sources = parts.sources;
    this.resumed = parts.resumed;
    this.dashboardUrl = parts.dashboard?.endpoint;
  }

  /**
   * Takes the data dir's lock, starts the servers, creates the resources and wires every
   * component (not yet running). What a failure leaves started is stopped again.
   * @throws DataDirInUseError when another live pipeline holds the data dir (nothing started)
   */
  static async create(o: PipelineOptions): Promise<LocalPipeline> {
    mkdirSync(o.dataDir, { recursive: true });
    const lock = lockDataDir(o.dataDir, 'pulse start');
    if (lock.tookOver) {
      (o.log ?? (() => {}))(
        `took over the lock of ${o.dataDir}: its holder (${lock.tookOver.command}, pid ${lock.tookOver.pid}, since ${lock.tookOver.since}) no longer runs`,
      );
    }
    const undo: (() => unknown)[] = [];
    try {
      return new LocalPipeline(await buildParts(o, lock, undo));
    } catch (error) {
      for (const step of undo.reverse()) {
        try {
          await step();
        } catch {
          // (the error that stopped the build is the one to report)
        }
      }
      lock.release();
      throw error;
    }
  }

  /** How many latencies are recorded so far: a mark for {@link latency}. */
  get latencySamples(): number {
    return this.parts.meter.latencySamples;
  }

  /**
   * Percentiles of the time from stream arrival to window written, one sample per
   * record, over the records from mark `from` to mark `to` (see {@link latencySamples}):
   * a benchmark leaves out its warm-up and the catch-up after it stops producing.
   */
  latency(from = 0, to?: number): LatencyPercentiles {
    return this.parts.meter.latency(from, to);
  }

  /** Starts the source, the hot path and the delivery stream. */
  run(): void {
    const { meter, hotPath, lake, fleet, servers } = this.parts;
    meter.start();
    const running = { hot: hotPath.run(), lake: lake.mapping.run(), producing: fleet.run() };
    const failed = new Promise<PipelineStoppedError>((resolve) => {
      const stopped = (what: string) => (error: unknown) =>
        resolve(new PipelineStoppedError(`${what} stopped: ${(error as Error).message}`, { cause: error }));
      running.hot.catch(stopped("the hot path's event source mapping"));
      running.lake.catch(stopped("the delivery stream's reader"));
      running.producing.catch(stopped('the producer'));
      // A local server in a process of its own can die under the run: its clients would retry forever.
      void servers.dynamo.died?.then((why) => resolve(new PipelineStoppedError(why)));
    });
    this.running = { ...running, failed };
  }

  /**
   * Resolves with the error that stopped a part of the running pipeline (a mapping whose
   * poller gave up, a producer that could not put); stays pending while all of it runs.
   */
  failure(): Promise<PipelineStoppedError> {
    return this.running?.failed ?? new Promise(() => {});
  }

  /**
   * Stops every part without draining, after a {@link failure}. What the stream holds stays
   * in it, and the lake's positions move only after a flush, so a restart on the same data
   * dir resumes (unless the stream itself is gone).
   */
  async abandon(): Promise<void> {
    this.parts.fleet.stop();
    this.producer.abandon(); // (its retries would wait on a stream that may be gone)
    await this.sources?.abandon();
    this.hotPath.stop();
    this.lake.stop();
    await Promise.allSettled([this.running?.producing, this.running?.hot, this.running?.lake]);
  }

  /** Resolves when the producer has stopped by itself (maxEvents reached). */
  async producerDone(): Promise<void> {
    await this.running?.producing;
  }

  /** Live counters. */
  health(): PipelineHealth {
    return pipelineHealth(this.parts);
  }

  /**
   * Stops producing, lets the hot path and the delivery stream catch up with
   * everything the stream holds, flushes the lake, and returns the summary. Nothing
   * produced is left behind.
   */
  async stop(): Promise<PipelineSummary> {
    const p = this.parts;
    p.fleet.stop();
    await this.running?.producing;
    await this.producer.close();
    const bySource = { fleet: this.producer.stats().eventsAccepted, ...(await this.sources?.stop()) };
    const producedAt = Date.now();
    this.hotPath.stop();
    this.lake.stop();
    await Promise.all([this.running?.hot, this.running?.lake]);
    await Promise.all([this.hotPath.drain(), this.lake.drain()]);
    await p.lake.flush();
    const caughtUpAt = Date.now();
    p.lake.savePositions();
    return summarizeRun({
      ...p.options,
      flushIntervalSeconds: p.flushIntervalSeconds,
      config: p.config,
      clients: p.servers.clients,
      names: p.servers.names,
      reader: p.reader,
      meter: p.meter,
      producer: p.producer,
      sources: p.sources,
      bySource,
      parquetFiles: p.lake.written().parquetFiles,
      dynamodb: p.servers.dynamo.kind,
      producedAt,
      caughtUpAt,
    });
  }

  /** Stops every server and client, and releases the data dir. */
  async close(): Promise<void> {
    await this.parts.dashboard?.stop();
    await this.sources?.stop();
    this.parts.lake.close();
    await this.parts.servers.stop();
    this.parts.lock.release();
  }
}
