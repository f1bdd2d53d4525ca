/**
 * Local mode: the whole pipeline on one machine. Local servers that speak the AWS
 * protocols (kinesalite, DynamoDB Local or dynalite, s3rver), resources created from
 * the shared definitions, the synthetic fleet through the real producer, the real
 * hot-path handler behind a local event source mapping, and a local delivery
 * stream (the real Firehose transform, Parquet) reading the same stream.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { createKinesisBatchHandler } from '#handlers/lib/kinesis-batch.js';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient, listShards } from '#core/clients/kinesis.js';
import { createS3Client } from '#core/clients/s3.js';
import { fromLambdaRecords, StreamDecoder } from '#core/contract/consumer.js';
import { EVENT_TYPES, type EventType } from '#core/contract/events.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { itemSizeBytes } from '#core/cost/item-size.js';
import type { Measured } from '#core/cost/model.js';
import { lakeColumns } from '#core/lake/columns.js';
import { LakeQuery, syncLake } from '#core/lake/lake-query.js';
import { LocalDelivery } from '#core/lake/local-delivery.js';
import { LakeTransform } from '#core/lake/transform.js';
import { Producer } from '#core/produce/producer.js';
import { DEFAULT_FLUSH_INTERVAL_SECONDS } from '#core/projections/held-state.js';
import { SideOutputStore } from '#core/projections/side-outputs.js';
import { kinesisParentsOf } from '#core/projections/lineage.js';
import { type BatchCounters, WindowProjection } from '#core/projections/window-projection.js';
import { WindowReader } from '#core/projections/window-reader.js';
import { isWindowItem } from '#core/projections/window-items.js';
import { resourceNames } from '#core/resources.js';
import { SyntheticFleet } from '#core/sources/synthetic-fleet.js';
import { type WindowingConfig, windowingConfigFromEnv } from '#core/windows/config.js';
import { type LocalDynamo, startDynamoServer } from './dynamodb-server.js';
import { KinesisEventSourceMapping } from './event-source-mapping.js';
import { type LambdaKinesisEvent, type LambdaKinesisWindowEvent } from '#core/lambda/events.js';
import { S3FailureDestination } from './failure-destination.js';
import { type LocalServer, startKinesisServer } from './kinesis-server.js';
import { HeldRecords } from '#core/projections/visibility.js';
import { startDashboard } from './dashboard/server.js';
import { ensureBucket, startS3Server } from './s3-server.js';
import { createStream, shardPages } from './streams.js';
import { LOCAL_CREDENTIALS, type LocalEndpoints } from './endpoints.js';
import { LocalSources, type SourceCounts } from './sources.js';
import { evaluateSlos, type SloReport } from '#core/slo/slos.js';
import { writeFileAtomic } from '#core/atomic-write.js';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';
import { ensureIdempotencyTable, ensureWindowTable } from './tables.js';

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
  /** How far in the past event time starts (default 30 minutes; see produce()). */
  backfillMs?: number;
  /** Dashboard port (0: any free port; undefined: no dashboard). */
  dashboardPort?: number;
  /**
   * The other sources (collector schedule, ingest API, file drop, host agent); each is
   * off unless set. The file drop watches the drop bucket whenever sources are set.
   */
  sources?: {
    /** Collector interval, ms (0: no schedule; ticks can still be run by {@link LocalPipeline.sources}). */
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

/** The final summary `pulse start` prints as its last line. */
export interface PipelineSummary {
  /** Events the stream accepted in this run, from every source. */
  produced: number;
  /** `produced` by source. */
  sources: SourceCounts & { fleet: number };
  /**
   * Notifications of dropped files that went to the dead-letter queue after their last
   * receive (each file is under failed/ with the reason).
   */
  file_drop_dead_letters: number;
  /** Events the stream holds, from every run on this data dir (poison records included). */
  stream_events: number;
  /** Stream records that do not decode (they cannot reach the lake; the hot path quarantines them). */
  undecodable: number;
  /** Events counted in the finest windows. */
  windowed: number;
  late: number;
  quarantined: number;
  /** Distinct event identities of this run in the lake (silver). */
  parquet_rows: number;
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

/** Live counters for progress lines and the dashboard. */
export interface PipelineHealth {
  produced: number;
  hotPathRecords: number;
  hotPathInvocations: number;
  deliveredRecords: number;
  parquetFiles: number;
  parquetRows: number;
  discardedRecords: number;
  p95LatencyMs: number;
  eventsPerS: number;
  windowsWritten: number;
  late: number;
  quarantined: number;
  /**
   * Now minus the latest event time the hot path applied: event-time lag, not
   * freshness (the history backfill replays events up to 30 minutes old).
   */
  lagMs: number;
  /** Stream arrival to visible window, 95th percentile of the latest 10,000 records (ms). */
  freshnessP95Ms: number;
  /** Events produced in this run that the hot path has not read yet. */
  backlogEvents: number;
  /** The SLIs measurable while running (data loss is measured when the run stops: null until then). */
  sli: {
    ingestAvailability: number | null;
    ingestP95Ms: number | null;
    dataLossRatio: number | null;
    freshnessP95Ms: number | null;
  };
}

/** A part of the running pipeline stopped on an error it does not retry (see {@link LocalPipeline.failure}). */
export class PipelineStoppedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PipelineStoppedError';
  }
}

/** How often the local delivery stream writes Parquet (Firehose's buffer interval). */
const LAKE_FLUSH_MS = 10_000;

/** EMF goes to CloudWatch in AWS; locally it would bury the terminal, so it is switched off. */
function quietMetrics(): Metrics {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return new Metrics({ namespace: 'Pulse', serviceName: 'hot-path' });
  } finally {
    if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = previous;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] as number;
}

/** See the module comment. */
export class LocalPipeline {
  private readonly latencies: number[] = [];
  private readonly hot = { windowsWritten: 0, writeUnits: 0, late: 0, quarantined: 0, lagMs: 0 };
  /** The latest 10,000 latencies, for the live view (a ring). */
  private readonly recent: number[] = new Array<number>(10_000);
  private recentAt = 0;
  /** Events the hot path read in this run. */
  private eventsIn = 0;
  /** True when this run continues an earlier one on the same data dir. */
  resumed = false;
  /** The dashboard's address, when it runs. */
  dashboardUrl: string | undefined;
  private dashboard: LocalServer | undefined;
  private producing: Promise<void> | undefined;
  private stopProducing = false;
  private hotRun: Promise<void> | undefined;
  private lakeRun: Promise<void> | undefined;
  private startedAt = Date.now();
  private readonly names = resourceNames('local');
  /** Time spent in the hot-path handler and in delivery (for the cost model's measurements). */
  private timing = { hotPathMs: 0, lakeMs: 0 };
  /** The collector, ingest API, file drop and host agent, when enabled. */
  sources: LocalSources | undefined;

  private constructor(
    private readonly o: PipelineOptions,
    readonly config: WindowingConfig,
    private readonly servers: { kinesis: LocalServer; dynamo: LocalDynamo; s3: LocalServer },
    private readonly clients: { kinesis: KinesisClient; ddb: DynamoDBClient; s3: S3Client },
    private readonly duck: { instance: DuckDBInstance; connection: DuckDBConnection },
    readonly producer: Producer,
    readonly hotPath: KinesisEventSourceMapping,
    readonly lake: KinesisEventSourceMapping,
    readonly deliveries: Map<EventType, LocalDelivery>,
    readonly reader: WindowReader,
  ) {}

  /**
   * Takes the data dir's lock, starts the servers, creates the resources and wires every
   * component (not yet running).
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
    try {
      const pipeline = await LocalPipeline.build(o);
      pipeline.dataDirLock = lock;
      return pipeline;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  private dataDirLock: DataDirLock | undefined;

  private static async build(o: PipelineOptions): Promise<LocalPipeline> {
    const log = o.log ?? (() => {});
    const names = resourceNames('local');
    // The hot path's own settings (PULSE_WINDOW_SIZES_MS, PULSE_LOG_COUNTS_BY_HOST, …), as in
    // Lambda; read before any server starts, so a bad value leaves nothing running.
    const config = windowingConfigFromEnv(process.env);
    // The stream and the lake live under the data dir, so a restart resumes them. DynamoDB
    // stays in memory: DynamoDB Local's file mode made each write ~100x slower (SQLite), and
    // the windows are a projection, rebuilt exactly from the stream at each start.
    const kinesisServer = await startKinesisServer({ port: o.kinesisPort ?? 0, path: join(o.dataDir, 'kinesis') });
    mkdirSync(o.dataDir, { recursive: true });
    const dynamo = await startDynamoServer({ pidFile: join(o.dataDir, 'dynamodb-local.pid') });
    // Object notifications of the drop bucket go to the file-drop handler, once it exists.
    const forward: { to?: LocalSources } = {};
    const s3Server = await startS3Server({
      directory: join(o.dataDir, 's3'),
      onEvent: (e) => {
        if (e.Records[0]?.s3.bucket.name === names.dropBucket) forward.to?.onS3Event(e);
      },
    });
    const kinesis = createKinesisClient({ endpoint: kinesisServer.endpoint });
    const ddb = createDynamoClient({ endpoint: dynamo.endpoint });
    const s3 = createS3Client({ endpoint: s3Server.endpoint });
    const fresh = await createStream(kinesis, names.stream, o.shards);
    await ensureWindowTable(ddb, names.windowTable);
    await ensureBucket(s3, names.lakeBucket);
    if (o.sources) {
      await ensureIdempotencyTable(ddb, names.idempotencyTable);
      await ensureBucket(s3, names.dropBucket);
    }
    log(`kinesis  ${kinesisServer.endpoint}  stream ${names.stream} (${o.shards} shards)`);
    log(
      `dynamodb ${dynamo.endpoint}  ${dynamo.kind === 'dynamodb-local' ? 'DynamoDB Local' : 'dynalite (no Java 17+ that runs source files found: install openjdk-17-jre-headless for DynamoDB Local)'}  table ${names.windowTable}`,
    );
    log(`s3       ${s3Server.endpoint}  bucket ${names.lakeBucket}  (${join(o.dataDir, 's3')})`);
    log(
      'keys     kinesis and dynamodb: any key of letters and digits, any region (DynamoDB Local shares one db); s3: S3RVER / S3RVER, us-east-1',
    );

    const registry = o.registry;
    const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${names.stream}`;
    const projection = new WindowProjection({
      ddb,
      tableName: names.windowTable,
      registry,
      config,
      writeConcurrency: 32,
      parentsOf: kinesisParentsOf(kinesis, names.stream),
      // A host's events are visible when its window item is stored (a flush writes hundreds).
      onWritten: (key) => {
        if (key.kind === 'host') hostWrittenAt.set(key.name, Date.now());
      },
    });
    // When each host's window item was last stored (partition key = host: one shard writes it).
    const hostWrittenAt = new Map<string, number>();
    // Whether an invocation wrote held windows, by its event (set by the handler's onBatch).
    const flushedBy = new WeakMap<object, boolean>();
    // Records folded into held window state, by shard: visible at a later flush.
    const held = new HeldRecords<{ host: string; at: number }>();
    const handler = createKinesisBatchHandler({
      projection,
      logger: new Logger({ serviceName: 'hot-path', logLevel: 'WARN' }),
      metrics: quietMetrics(),
      onBatch: (c, event) => {
        self.pipeline?.recordBatch(c);
        flushedBy.set(event, c.flushed);
      },
    });
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const deliveries = new Map<EventType, LocalDelivery>();
    for (const type of EVENT_TYPES) {
      const transform = new LakeTransform(registry, type);
      deliveries.set(
        type,
        new LocalDelivery({
          s3,
          bucket: names.lakeBucket,
          eventType: type,
          columns: lakeColumns(registry, type),
          transform: async (event) => ({ records: transform.transform(event.records) }),
          duck: connection,
          // The pipeline flushes on its own clock (see lakeFlushMs) so positions are saved only
          // once everything before them is in S3, as Firehose checkpoints only after delivery.
          bufferMs: Number.POSITIVE_INFINITY,
          bufferBytes: Number.POSITIVE_INFINITY,
        }),
      );
    }
    const producer = await Producer.create({ kinesis, streamName: names.stream, registry, lingerMs: 50 });
    // (positions are restored below, once both mappings exist)
    // The mapping's function records latencies on the pipeline, which is built after it.
    const self: { pipeline?: LocalPipeline } = {};
    const positions = (name: string) => {
      const file = join(o.dataDir, 'mappings', `${name}.json`);
      return {
        saved: existsSync(file)
          ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | undefined>)
          : undefined,
        save: (p: Record<string, string | undefined>) => {
          writeFileAtomic(file, JSON.stringify(p));
        },
      };
    };
    const lakePositions = positions('delivery');
    const flushIntervalSeconds = o.flushIntervalSeconds ?? DEFAULT_FLUSH_INTERVAL_SECONDS;
    const hotPath = new KinesisEventSourceMapping({
      kinesis,
      streamName: names.stream,
      batchSize: 1_000,
      maxBatchingWindowMs: 200,
      pollIntervalMs: 100,
      tumblingWindowSeconds: flushIntervalSeconds,
      onFailure: new S3FailureDestination(s3, names.lakeBucket, 'hot-path', streamArn),
      fn: async (event: LambdaKinesisEvent | LambdaKinesisWindowEvent) => {
        const t0 = performance.now();
        const startedAt = Date.now();
        const out = await handler(event);
        timing.hotPathMs += performance.now() - t0;
        const failed = out.batchItemFailures[0]?.itemIdentifier;
        const cut = failed === undefined ? -1 : event.Records.findIndex((r) => r.kinesis.sequenceNumber === failed);
        const done = cut < 0 ? event.Records : event.Records.slice(0, cut);
        const shardId = 'shardId' in event ? event.shardId : (event.Records[0]?.eventID.split(':')[0] ?? '');
        // A record is visible once its host's item is stored in this invocation (else, for
        // records of other keys, when the invocation returns).
        const now = Date.now();
        const arrivals = done.map((r) => ({
          host: r.kinesis.partitionKey,
          at: r.kinesis.approximateArrivalTimestamp * 1000,
        }));
        const stillHeld = out.state !== undefined && Object.keys(out.state).length > 0;
        for (const r of held.settle(shardId, arrivals, flushedBy.get(event) === true, stillHeld)) {
          const written = hostWrittenAt.get(r.host);
          self.pipeline?.recordLatency((written !== undefined && written >= startedAt ? written : now) - r.at);
        }
        return out;
      },
    });
    const lakeState = { lastFlush: Date.now(), saveNext: false };
    const timing = { hotPathMs: 0, lakeMs: 0 };
    const lake = new KinesisEventSourceMapping({
      kinesis,
      streamName: names.stream,
      onCheckpoint: (p) => {
        if (!lakeState.saveNext) return;
        lakeState.saveNext = false;
        lakePositions.save(p);
      },
      // Firehose reads each shard about once a second.
      batchSize: 1_000,
      maxBatchingWindowMs: 1_000,
      pollIntervalMs: 1_000,
      onFailure: new S3FailureDestination(s3, names.lakeBucket, 'delivery', streamArn),
      fn: async (event: LambdaKinesisEvent) => {
        const t0 = performance.now();
        const { shardId, records } = fromLambdaRecords(event.Records);
        const inputs = LocalDelivery.inputsOf(records, shardId);
        for (const d of deliveries.values()) await d.putInputs(inputs);
        if (Date.now() - lakeState.lastFlush >= LAKE_FLUSH_MS) {
          for (const d of deliveries.values()) await d.flush();
          lakeState.lastFlush = Date.now();
          lakeState.saveNext = true; // this batch is in S3: its position may be saved
        }
        timing.lakeMs += performance.now() - t0;
      },
    });
    self.pipeline = new LocalPipeline(
      o,
      config,
      { kinesis: kinesisServer, dynamo, s3: s3Server },
      { kinesis, ddb, s3 },
      { instance, connection },
      producer,
      hotPath,
      lake,
      deliveries,
      new WindowReader(ddb, names.windowTable, config),
    );
    const pipeline = self.pipeline;
    pipeline.timing = timing;
    if (o.sources) {
      const sources = new LocalSources({
        kinesis,
        ddb,
        s3,
        registry,
        streamName: names.stream,
        idempotencyTable: names.idempotencyTable,
        collectorEveryMs: o.sources.collectorEveryMs ?? 0,
        collectorHosts: o.sources.collectorHosts ?? 10,
        ...(o.sources.ingestPort !== undefined ? { ingestPort: o.sources.ingestPort } : {}),
        agentEveryMs: o.sources.agentEveryMs ?? 0,
        ...(o.sources.ingestThrottle ? { throttle: o.sources.ingestThrottle } : {}),
        log,
      });
      pipeline.sources = sources;
      forward.to = sources;
      try {
        await sources.start();
      } catch (error) {
        await pipeline.close();
        throw error;
      }
      if (sources.ingestUrl) log(`ingest   POST ${sources.ingestUrl}`);
      if (sources.ingestUrl)
        log(`otlp     POST ${sources.ingestUrl.replace(/\/v1\/events$/, '')}/v1/metrics, /v1/logs`);
      log(`drop     s3://${names.dropBucket}/incoming/ (.csv, .jsonl)`);
      const requeued = await sources.requeueIncoming(names.dropBucket);
      if (requeued > 0) log(`drop     ${requeued} file(s) left in incoming/ by an earlier run: queued again`);
    }
    writeFileAtomic(
      join(o.dataDir, 'endpoints.json'),
      JSON.stringify({
        kinesis: kinesisServer.endpoint,
        stream: names.stream,
        s3: s3Server.endpoint,
        dynamodb: dynamo.endpoint,
        windowTable: names.windowTable,
        lakeBucket: names.lakeBucket,
        credentials: LOCAL_CREDENTIALS,
      } satisfies LocalEndpoints),
    );
    pipeline.saveLakePositions = lakePositions.save;
    // (positions saved on a stream that is gone mean nothing on a new one)
    if (lakePositions.saved && !fresh) lake.resumeFrom(lakePositions.saved);
    if (!fresh) {
      const lakeFrom = lakePositions.saved ? 'its saved positions' : 'the start (nothing was flushed yet)';
      log(
        `resuming from the checkpoints in ${o.dataDir}: the stream continues, the lake from ${lakeFrom}, the windows are rebuilt from the stream`,
      );
      pipeline.resumed = true;
    }
    if (o.dashboardPort !== undefined) {
      try {
        pipeline.dashboard = await startDashboard({
          reader: pipeline.reader,
          port: o.dashboardPort,
          health: async () => ({ ...pipeline.health() }),
        });
      } catch (error) {
        await pipeline.close();
        throw error;
      }
      pipeline.dashboardUrl = pipeline.dashboard.endpoint;
      log(`dashboard ${pipeline.dashboardUrl}`);
    }
    return pipeline;
  }

  private saveLakePositions: (p: Record<string, string | undefined>) => void = () => {};

  private recordBatch(c: BatchCounters): void {
    this.hot.windowsWritten += c.windowsWritten;
    this.hot.writeUnits += c.writeUnits;
    this.hot.late += c.late;
    this.hot.quarantined += c.quarantined;
    this.eventsIn += c.eventsIn;
    if (c.eventTimeLagMs > 0) this.hot.lagMs = c.eventTimeLagMs;
  }

  private recordLatency(ms: number): void {
    if (this.latencies.length < 200_000) this.latencies.push(ms);
    this.recent[this.recentAt++ % this.recent.length] = ms;
  }

  /** How many latencies are recorded so far: a mark for {@link latency}. */
  get latencySamples(): number {
    return this.latencies.length;
  }

  /**
   * Percentiles of the time from stream arrival to window written, one sample per
   * record, over the records from mark `from` to mark `to` (see {@link latencySamples}):
   * a benchmark leaves out its warm-up and the catch-up after it stops producing.
   */
  latency(from = 0, to?: number): { p50: number; p95: number; p99: number; samples: number } {
    const sorted = this.latencies.slice(from, to).sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
      samples: sorted.length,
    };
  }

  /** Starts the source, the hot path and the delivery stream. */
  run(): void {
    this.startedAt = Date.now();
    this.hotRun = this.hotPath.run();
    this.lakeRun = this.lake.run();
    this.producing = this.produce();
    this.failed = new Promise((resolve) => {
      const stopped = (what: string) => (error: unknown) =>
        resolve(new PipelineStoppedError(`${what} stopped: ${(error as Error).message}`, { cause: error }));
      this.hotRun?.catch(stopped("the hot path's event source mapping"));
      this.lakeRun?.catch(stopped("the delivery stream's reader"));
      this.producing?.catch(stopped('the producer'));
      // A local server in a process of its own can die under the run: its clients would retry forever.
      void this.servers.dynamo.died?.then((why) => resolve(new PipelineStoppedError(why)));
    });
  }

  /**
   * Resolves with the error that stopped a part of the running pipeline (a mapping whose
   * poller gave up, a producer that could not put); stays pending while all of it runs.
   */
  failure(): Promise<PipelineStoppedError> {
    return this.failed ?? new Promise(() => {});
  }

  private failed: Promise<PipelineStoppedError> | undefined;

  /**
   * Stops every part without draining, after a {@link failure}. What the stream holds stays
   * in it, and the lake's positions move only after a flush, so a restart on the same data
   * dir resumes (unless the stream itself is gone).
   */
  async abandon(): Promise<void> {
    this.stopProducing = true;
    this.producer.abandon(); // (its retries would wait on a stream that may be gone)
    await this.sources?.abandon();
    this.hotPath.stop();
    this.lake.stop();
    await Promise.allSettled([this.producing, this.hotRun, this.lakeRun]);
  }

  /**
   * The synthetic fleet at the target rate: one tick of every host per `hosts × 6 / rate`
   * seconds. Event time starts `backfillMs` in the past and advances 10 s per tick until it
   * reaches the present, then follows the clock: the charts have history at once, and
   * events stay in order (nothing is late or ahead of its arrival).
   */
  private async produce(): Promise<void> {
    const fleet = new SyntheticFleet({ hosts: this.o.hosts });
    const perTick = this.o.hosts * (5 + 1);
    const tickMs = (perTick / this.o.rate) * 1000;
    const t0 = Date.now();
    // A resumed run continues in the present: history before it would only be late.
    const eventStart = t0 - (this.resumed ? 0 : (this.o.backfillMs ?? 30 * 60_000));
    let last = 0;
    let clocksStarted = false;
    for (let tick = 0; !this.stopProducing; tick++) {
      if (this.o.maxEvents !== undefined && this.producer.stats().eventsPut >= this.o.maxEvents) break;
      const due = t0 + tick * tickMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      last = Math.max(last, Math.min(Date.now(), eventStart + tick * 10_000));
      // The history is in: the sources that produce at the present may start.
      if (!clocksStarted && last >= Date.now() - 10_000) {
        clocksStarted = true;
        this.sources?.startClocks();
      }
      const { metrics, logs } = fleet.tick(new Date(last));
      for (const m of metrics) await this.producer.put('MetricSample', m);
      for (const l of logs) await this.producer.put('LogEvent', l);
    }
    // A run that stopped producing during the history (--events) still runs its sources.
    if (!clocksStarted) this.sources?.startClocks();
    await this.producer.flush();
  }

  /** Resolves when the producer has stopped by itself (maxEvents reached). */
  async producerDone(): Promise<void> {
    await this.producing;
  }

  /** Live counters. */
  health(): PipelineHealth {
    // The live view uses the latest 10,000 latencies: sorting all of them every two seconds
    // would stall the event loop the pipeline itself runs on.
    const sorted = this.recent.slice(0, Math.min(this.recentAt, this.recent.length)).sort((a, b) => a - b);
    let parquetFiles = 0;
    let parquetRows = 0;
    for (const d of this.deliveries.values()) {
      parquetFiles += d.stats.parquetFiles;
      parquetRows += d.stats.rowsWritten;
    }
    const produced = this.producer.stats().eventsAccepted + (this.sources?.total() ?? 0);
    const freshness = sorted.length === 0 ? null : percentile(sorted, 0.95);
    const ingest = this.sources?.ingestStats();
    return {
      produced,
      freshnessP95Ms: freshness ?? 0,
      backlogEvents: Math.max(0, produced - this.eventsIn),
      sli: {
        ingestAvailability: ingest && ingest.requests > 0 ? 1 - ingest.serverErrors / ingest.requests : null,
        ingestP95Ms: ingest?.p95Ms ?? null,
        dataLossRatio: null,
        freshnessP95Ms: freshness,
      },
      hotPathRecords: this.hotPath.stats.recordsDelivered,
      hotPathInvocations: this.hotPath.stats.invocations,
      deliveredRecords: this.lake.stats.recordsDelivered,
      parquetFiles,
      parquetRows,
      discardedRecords: this.hotPath.stats.discardedRecords + this.lake.stats.discardedRecords,
      p95LatencyMs: percentile(sorted, 0.95),
      eventsPerS: Math.round(produced / Math.max(0.001, (Date.now() - this.startedAt) / 1000)),
      ...this.hot,
    };
  }

  /**
   * Stops producing, lets the hot path and the delivery stream catch up with
   * everything the stream holds, flushes the lake, and returns the summary. Nothing
   * produced is left behind.
   */
  async stop(): Promise<PipelineSummary> {
    this.stopProducing = true;
    await this.producing;
    await this.producer.close();
    const bySource = { fleet: this.producer.stats().eventsAccepted, ...(await this.sources?.stop()) };
    const producedAt = Date.now();
    this.hotPath.stop();
    this.lake.stop();
    await Promise.all([this.hotRun, this.lakeRun]);
    await Promise.all([this.hotPath.drain(), this.lake.drain()]);
    for (const d of this.deliveries.values()) await d.flush();
    const caughtUpAt = Date.now();
    this.saveLakePositions(this.lake.positions());
    const finest = this.config.windowSizesMs[0] as number;
    const totals = await this.reader.countWindowed(finest);
    const sideOutputs = new SideOutputStore(this.clients.ddb, this.names.windowTable, this.config.ttlDays);
    let late = 0;
    let quarantined = 0;
    for (const shard of await listShards(this.clients.kinesis, this.names.stream)) {
      late += (await sideOutputs.late(shard.ShardId as string, finest)).length;
      quarantined += (await sideOutputs.quarantined(shard.ShardId as string)).length;
    }
    const lakeDir = join(this.o.dataDir, 'lake');
    await syncLake(this.clients.s3, this.names.lakeBucket, lakeDir);
    const lake = await LakeQuery.open(this.o.registry, lakeDir);
    let parquetRows = 0;
    try {
      // Distinct event identities, every run on this data dir (silver dedups on identity).
      const rows = await lake.query(
        'SELECT (SELECT count(*) FROM silver_metric_samples) + (SELECT count(*) FROM silver_log_events) AS n',
      );
      parquetRows = Number(rows[0]?.n ?? 0);
    } finally {
      lake.close();
    }
    // What the stream holds, counted with the consumer API: the reference for conservation.
    const decoder = new StreamDecoder(this.o.registry);
    let streamEvents = 0;
    let undecodable = 0;
    for (const shard of await listShards(this.clients.kinesis, this.names.stream)) {
      for await (const page of shardPages(this.clients.kinesis, this.names.stream, shard.ShardId as string)) {
        for (const r of page) {
          const { events, poison } = decoder.decode(r);
          streamEvents += events.length + poison.length;
          undecodable += poison.length;
        }
      }
    }
    const latency = this.latency();
    const flushIntervalSeconds = this.o.flushIntervalSeconds ?? DEFAULT_FLUSH_INTERVAL_SECONDS;
    const sources = { collector: 0, agent: 0, ingest_api: 0, file_drop: 0, otlp: 0, ...bySource };
    const produced =
      sources.fleet + sources.collector + sources.agent + sources.ingest_api + sources.file_drop + sources.otlp;
    const seconds = (producedAt - this.startedAt) / 1000;
    await this.writeMeasured(totals.events, parquetRows, lakeDir);
    return {
      produced,
      sources,
      file_drop_dead_letters: this.sources?.dropDeadLetters() ?? 0,
      stream_events: streamEvents,
      undecodable,
      windowed: totals.events,
      late,
      quarantined,
      parquet_rows: parquetRows,
      parquet_files: this.health().parquetFiles,
      p95_latency_ms: latency.p95,
      p50_latency_ms: latency.p50,
      p99_latency_ms: latency.p99,
      events_per_s: Math.round(produced / Math.max(seconds, 0.001)),
      duration_s: Math.round(seconds * 10) / 10,
      windows: totals.windows,
      window_writes: this.hot.windowsWritten,
      write_units: this.hot.writeUnits,
      catch_up_s: Math.round((caughtUpAt - producedAt) / 100) / 10,
      flush_interval_s: flushIntervalSeconds,
      slo: evaluateSlos({
        ingest: this.sources?.ingestStats() ?? { requests: 0, serverErrors: 0, p95Ms: null },
        acknowledged: streamEvents,
        inWindows: totals.events + late + quarantined,
        inLake: parquetRows + undecodable,
        freshnessP95Ms: latency.samples === 0 ? null : latency.p95,
        flushIntervalSeconds,
      }),
      dynamodb: this.servers.dynamo.kind,
    };
  }

  /**
   * Writes `<data dir>/measured.json`: what one event cost this run in requests and
   * bytes, for `pulse cost`. Local timings include the local servers' latency.
   */
  private async writeMeasured(windowed: number, parquetRows: number, lakeDir: string): Promise<void> {
    const p = this.producer.stats();
    if (windowed === 0 || p.recordsAccepted === 0 || parquetRows === 0) return;
    const sample = await this.clients.ddb.send(new ScanCommand({ TableName: this.names.windowTable, Limit: 200 }));
    const items = (sample.Items ?? []).filter(isWindowItem);
    const itemKb = items.reduce((n, i) => n + itemSizeBytes(i), 0) / Math.max(1, items.length) / 1_024;
    const parquetBytes = existsSync(lakeDir)
      ? readdirSync(lakeDir, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.parquet'))
          .reduce((n, f) => n + statSync(join(lakeDir, f)).size, 0)
      : 0;
    const measured: Measured = {
      source: `pulse start on ${new Date().toISOString().slice(0, 10)}: ${windowed} events, ${this.o.hosts} hosts, ${this.o.shards} shards`,
      eventsPerRecord: p.eventsAccepted / p.recordsAccepted,
      streamBytesPerEvent: p.bytesAccepted / p.eventsAccepted,
      windowWritesPerEvent: this.hot.windowsWritten / windowed,
      windowItemKb: itemKb,
      parquetBytesPerEvent: parquetBytes / parquetRows,
      hotPathMsPer1000: (this.timing.hotPathMs / windowed) * 1_000,
      transformMsPer1000: (this.timing.lakeMs / parquetRows) * 1_000,
    };
    writeFileAtomic(join(this.o.dataDir, 'measured.json'), `${JSON.stringify(measured, null, 2)}\n`);
  }

  /** Stops every server and client. */
  async close(): Promise<void> {
    await this.dashboard?.stop();
    await this.sources?.stop();
    // The servers stop now: pulse collect must not find their old addresses.
    rmSync(join(this.o.dataDir, 'endpoints.json'), { force: true });
    this.clients.kinesis.destroy();
    this.clients.ddb.destroy();
    this.clients.s3.destroy();
    this.duck.connection.closeSync();
    this.duck.instance.closeSync();
    await this.servers.dynamo.stop();
    await this.servers.s3.stop();
    await this.servers.kinesis.stop();
    this.dataDirLock?.release();
  }
}
