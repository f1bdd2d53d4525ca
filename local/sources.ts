/**
 * The sources in local mode, each through its real handler:
 * - the scheduled collector, invoked on a local schedule with EventBridge's event shape;
 * - the HTTP ingest API and OTLP/HTTP (/v1/metrics, /v1/logs), served on 127.0.0.1 behind
 *   API Gateway's stage throttling (./ingest-server.ts);
 * - the S3 file drop, through an in-process queue with SQS's semantics (./file-drop-source.ts);
 * - the host agent, reading this machine.
 * Powertools Idempotency keeps its records in the local DynamoDB.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event } from 'aws-lambda';
import { collectorHandler, ingestHandler } from '#handlers/lib/sources.js';
import { otlpHandler } from '#handlers/lib/otlp.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { collectorConfig } from '#core/sources/collector.js';
import type { StreamTarget } from '#core/sources/emit.js';
import { HostAgent } from '#core/sources/host-agent.js';
import { INGEST_THROTTLE } from '#core/sources/ingest.js';
import type { LocalQueue } from './queue.js';
import { type FileDropQueueSettings, LocalFileDrop } from './file-drop-source.js';
import { IngestServer, type IngestStats, NO_INGEST } from './ingest-server.js';

export { LOCAL_FILE_DROP_QUEUE } from './file-drop-source.js';

/** Settings of the local sources. */
export interface LocalSourcesOptions {
  kinesis: KinesisClient;
  ddb: DynamoDBClient;
  s3: S3Client;
  registry: SchemaRegistry;
  streamName: string;
  idempotencyTable: string;
  /** Collector interval in ms (ticks at multiples of it, like a `rate()` schedule); 0: no schedule. */
  collectorEveryMs: number;
  /** Servers per collector tick. */
  collectorHosts: number;
  /** Ingest API port on 127.0.0.1 (0: any free port; undefined: no ingest API). */
  ingestPort?: number;
  /** Host agent interval in ms (0: no agent). */
  agentEveryMs: number;
  /** Ingest throttle (default {@link INGEST_THROTTLE}, API Gateway's stage setting in AWS). */
  throttle?: { rateLimit: number; burstLimit: number };
  /** The file drop's queue (default {@link LOCAL_FILE_DROP_QUEUE}). */
  fileDropQueue?: FileDropQueueSettings;
  log?: (line: string) => void;
}

/** Events each source put on the stream in this run. */
export interface SourceCounts {
  collector: number;
  agent: number;
  ingest_api: number;
  file_drop: number;
  /** OTLP exports (POST /v1/metrics, /v1/logs). */
  otlp: number;
}

/** See the module comment. */
export class LocalSources {
  readonly counts: SourceCounts = { collector: 0, agent: 0, ingest_api: 0, file_drop: 0, otlp: 0 };
  /** The ingest API's address, when it runs. */
  ingestUrl: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ingestServer: IngestServer | undefined;
  private agent: HostAgent | undefined;
  /** Work in flight (ticks, requests, files): stop() waits for it. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly collect: ReturnType<typeof collectorHandler>;
  private readonly ingest: ReturnType<typeof ingestHandler>;
  private readonly otlp: ReturnType<typeof otlpHandler>;
  private readonly fileDrop: LocalFileDrop;
  private stopped = false;

  constructor(private readonly o: LocalSourcesOptions) {
    const target: StreamTarget = {
      kinesis: o.kinesis,
      streamName: o.streamName,
      registry: o.registry,
      // Counted where events reach the stream: a replayed tick, request or file adds nothing.
      onProduced: (producerId, events) => {
        const source = producerId.slice(0, producerId.indexOf(':'));
        if (source === 'collector') this.counts.collector += events;
        else if (source === 'ingest-api') this.counts.ingest_api += events;
        else if (source === 'file-drop') this.counts.file_drop += events;
        else if (source === 'otlp') this.counts.otlp += events;
      },
    };
    const store = { ddb: o.ddb, tableName: o.idempotencyTable };
    const logger = (serviceName: string) => new Logger({ serviceName, logLevel: 'WARN' });
    this.collect = collectorHandler({
      target,
      store,
      config: collectorConfig({ hosts: o.collectorHosts }),
      logger: logger('collector'),
    });
    this.ingest = ingestHandler({ target, store, logger: logger('ingest-api') });
    this.otlp = otlpHandler({ target, store, logger: logger('otlp') });
    this.fileDrop = new LocalFileDrop({
      s3: o.s3,
      target,
      store,
      logger: logger('file-drop'),
      ...(o.fileDropQueue ? { queue: o.fileDropQueue } : {}),
      stopping: () => this.stopped,
      track: (work) => this.track(work),
      ...(o.log ? { log: o.log } : {}),
    });
  }

  /** The drop bucket's notifications, between the local S3 and the file-drop handler. */
  get dropQueue(): LocalQueue {
    return this.fileDrop.queue;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => {});
    return work;
  }

  /** Runs the collector for the tick scheduled at `at` (EventBridge's event shape). */
  async tick(at: Date): Promise<void> {
    const event = {
      time: at.toISOString().replace('.000Z', 'Z'),
      source: 'aws.events' as const,
      'detail-type': 'Scheduled Event' as const,
    };
    // EventBridge retries a failed delivery twice; so does the local schedule.
    for (let attempt = 1; attempt <= 3 && !this.stopped; attempt++) {
      try {
        await this.track(this.collect(event));
        return;
      } catch (error) {
        this.o.log?.(`collector tick ${event.time} failed (attempt ${attempt} of 3): ${(error as Error).message}`);
        if (attempt < 3) await new Promise((r) => setTimeout(r, 2_000 * attempt));
      }
    }
  }

  /**
   * Queues an S3 notification (from the local S3) for the file-drop handler, as S3 sends it
   * to SQS: only objects created under incoming/ (see {@link LocalFileDrop.onS3Event}).
   */
  onS3Event(event: S3Event): void {
    this.fileDrop.onS3Event(event);
  }

  /**
   * Notifications of the drop bucket that went to the dead-letter queue in this run, or
   * failed their last receive and would at the next (their files are under failed/).
   */
  dropDeadLetters(): number {
    return this.fileDrop.deadLetters();
  }

  /**
   * Queues a notification for every file still under `incoming/` of `bucket`, for the
   * next start to pick up what the in-memory queue lost. @returns how many were queued
   */
  requeueIncoming(bucket: string): Promise<number> {
    return this.fileDrop.requeueIncoming(bucket);
  }

  /**
   * Starts the file drop's queue, the ingest API and connects the host agent; {@link startClocks}
   * starts the schedule and readings.
   */
  async start(): Promise<void> {
    this.fileDrop.start();
    if (this.o.ingestPort !== undefined) {
      this.ingestServer = await IngestServer.start({
        port: this.o.ingestPort,
        throttle: this.o.throttle ?? INGEST_THROTTLE,
        ingest: this.ingest,
        otlp: this.otlp,
        stopping: () => this.stopped,
        track: (work) => this.track(work),
        ...(this.o.log ? { log: this.o.log } : {}),
      });
      this.ingestUrl = this.ingestServer.url;
    }
    if (this.o.agentEveryMs > 0) {
      this.agent = await HostAgent.create({
        target: { kinesis: this.o.kinesis, streamName: this.o.streamName, registry: this.o.registry },
        intervalMs: this.o.agentEveryMs,
        ...(this.o.log ? { log: this.o.log } : {}),
      });
    }
  }

  /**
   * Starts the collector schedule and the host agent's readings. Local mode calls it
   * once the synthetic fleet's compressed history has reached the present: events of
   * now on a shard would otherwise move its watermark past the history still coming.
   */
  startClocks(): void {
    if (this.stopped) return;
    this.agent?.start();
    if (this.o.collectorEveryMs > 0) {
      const every = this.o.collectorEveryMs;
      const next = () => {
        const at = Math.ceil((Date.now() + 1) / every) * every;
        this.timer = setTimeout(() => {
          void this.tick(new Date(at));
          next();
        }, at - Date.now());
      };
      next();
    }
  }

  /** Stops every source and waits until what they started is in the stream. */
  async stop(): Promise<SourceCounts> {
    if (this.stopped) return { ...this.counts };
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ingestServer?.stop();
    // Files dropped before the stop are ingested; a failed one waits out its visibility timeout.
    await this.fileDrop.stop(true);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.fileDrop.reportQueued();
    if (this.agent) this.counts.agent = (await this.agent.stop()).produced;
    return { ...this.counts };
  }

  /**
   * Stops every source without waiting for work in flight or the agent's buffer (a part of
   * the pipeline stopped: their retries would wait on it). {@link stop} then returns at once.
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.agent?.abandon();
    await this.ingestServer?.stop();
    await this.fileDrop.stop(false);
  }

  /** The ingest API's requests so far: how many, how many answered 5xx, p95 time to answer (ms). */
  ingestStats(): IngestStats {
    return this.ingestServer?.stats() ?? { ...NO_INGEST };
  }

  /** Events the sources put on the stream so far. */
  total(): number {
    const c = this.counts;
    return c.collector + c.ingest_api + c.file_drop + c.otlp + (this.agent?.stats().produced ?? c.agent);
  }
}
