/**
 * The four sources in local mode, each through its real handler:
 * - the scheduled collector, invoked on a local schedule with EventBridge's event shape;
 * - the HTTP ingest API, served on 127.0.0.1 with a token-bucket throttle (API Gateway's
 *   stage throttling in AWS) that answers 429; OTLP/HTTP (/v1/metrics, /v1/logs) on the same
 *   server (./otlp-server.ts);
 * - the S3 file drop: the local S3's own object-created notifications for the drop bucket
 *   (s3rver emits them in S3's format) go to an in-process queue with SQS's semantics
 *   (./queue.ts), which invokes the file-drop handler with SQS events, as in AWS;
 * - the host agent, reading this machine.
 * Powertools Idempotency keeps its records in the local DynamoDB.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event } from 'aws-lambda';
import { fileDropHandler } from '#handlers/lib/file-drop.js';
import { collectorHandler, ingestHandler } from '#handlers/lib/sources.js';
import { otlpHandler } from '#handlers/lib/otlp.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { collectorConfig } from '#core/sources/collector.js';
import type { StreamTarget } from '#core/sources/emit.js';
import { DROP_PREFIXES, FILE_DROP_QUEUE, type FileResult } from '#core/sources/file-drop.js';
import { LOCAL_TIMEOUT_MS, localClock } from '#core/sources/idempotency.js';
import { HostAgent } from '#core/sources/host-agent.js';
import { INGEST_DEFAULTS, INGEST_THROTTLE, tooLarge } from '#core/sources/ingest.js';
import { type LocalServer, listenLocal } from './kinesis-server.js';
import { LocalQueue, type QueueMessage, QueueEventSource } from './queue.js';
import { isOtlpPath, serveOtlp } from './otlp-server.js';

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
  fileDropQueue?: Partial<Record<keyof typeof LOCAL_FILE_DROP_QUEUE, number>>;
  log?: (line: string) => void;
}

/**
 * The local file-drop queue: AWS's settings (FILE_DROP_QUEUE) on local mode's function
 * timeout ({@link LOCAL_TIMEOUT_MS}): a failed file comes back after 6 minutes.
 */
export const LOCAL_FILE_DROP_QUEUE = {
  /** The handler's time per invocation, ms (as a Lambda timeout). */
  timeoutMs: LOCAL_TIMEOUT_MS,
  visibilityTimeoutMs: FILE_DROP_QUEUE.visibilityPerTimeout * LOCAL_TIMEOUT_MS,
  maxReceiveCount: FILE_DROP_QUEUE.maxReceiveCount,
  batchSize: FILE_DROP_QUEUE.batchSize,
  /** How often the empty queue is looked at (a notification also wakes it). */
  pollIntervalMs: 200,
} as const;

/** The key of the first object a notification message names (for the log). */
function keyOf(message: QueueMessage): string {
  try {
    const key = (JSON.parse(message.body) as S3Event).Records[0]?.s3.object.key ?? '?';
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return '?';
  }
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

/** Requests per second with bursts, as API Gateway's stage throttling; hand-written because it is six lines. */
class TokenBucket {
  private tokens: number;
  private at = Date.now();

  constructor(
    readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Statuses and answer times of the ingest API's requests (the latest 10,000 times). */
class RequestLog {
  private requests = 0;
  private serverErrors = 0;
  private readonly times: number[] = [];

  record(status: number, ms: number): void {
    this.requests++;
    if (status >= 500) this.serverErrors++;
    if (this.times.length === 10_000) this.times.shift();
    this.times.push(ms);
  }

  stats(): { requests: number; serverErrors: number; p95Ms: number | null } {
    const sorted = [...this.times].sort((a, b) => a - b);
    const p95 = sorted.length === 0 ? null : (sorted[Math.ceil(0.95 * sorted.length) - 1] as number);
    return {
      requests: this.requests,
      serverErrors: this.serverErrors,
      p95Ms: p95 === null ? null : Math.round(p95 * 10) / 10,
    };
  }
}

/** See the module comment. */
export class LocalSources {
  readonly counts: SourceCounts = { collector: 0, agent: 0, ingest_api: 0, file_drop: 0, otlp: 0 };
  /** The ingest API's address, when it runs. */
  ingestUrl: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private server: LocalServer | undefined;
  private agent: HostAgent | undefined;
  /** Work in flight (ticks, requests, files): stop() waits for it. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly collect: ReturnType<typeof collectorHandler>;
  private readonly ingest: ReturnType<typeof ingestHandler>;
  private readonly otlp: ReturnType<typeof otlpHandler>;
  /** The drop bucket's notifications, between the local S3 and the file-drop handler. */
  readonly dropQueue: LocalQueue;
  private readonly dropSource: QueueEventSource;
  private stopped = false;
  private readonly requests = new RequestLog();

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
    const q = { ...LOCAL_FILE_DROP_QUEUE, ...o.fileDropQueue };
    const dropFile = fileDropHandler({
      s3: o.s3,
      target,
      store,
      logger: logger('file-drop'),
      maxReceiveCount: q.maxReceiveCount,
      onFile: (r) => this.onFile(r, q.maxReceiveCount),
    });
    this.dropQueue = new LocalQueue({
      visibilityTimeoutMs: q.visibilityTimeoutMs,
      maxReceiveCount: q.maxReceiveCount,
      onDeadLetter: (m) =>
        this.o.log?.(
          `file drop: the notification of ${keyOf(m)} went to the dead-letter queue after ${m.receiveCount} receives (the file is under failed/ with the reason)`,
        ),
    });
    this.dropSource = new QueueEventSource({
      queue: this.dropQueue,
      fn: (event) => this.track(dropFile(event, localClock(q.timeoutMs))),
      batchSize: q.batchSize,
      pollIntervalMs: q.pollIntervalMs,
      onError: (error) => {
        // Powertools' error when every message failed carries each message's own.
        const each = (error as { recordErrors?: Error[] }).recordErrors?.map((e) => e.message) ?? [error.message];
        this.o.log?.(`file drop failed (retried after the visibility timeout): ${each.join('; ')}`);
      },
    });
  }

  private onFile(r: FileResult, maxReceiveCount: number): void {
    if (r.outcome === 'failed' && typeof r.receives === 'number') {
      this.o.log?.(
        `file drop: ${r.key} failed ${r.receives} of ${maxReceiveCount} receives → failed/ with the reason; its notification goes to the dead-letter queue`,
      );
    } else if (r.outcome === 'processed' || r.outcome === 'failed') {
      this.o.log?.(`file drop: ${r.key} → ${r.outcome} (${r.produced} events, ${r.rejected} rejected)`);
    }
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
   * to SQS: only objects created under incoming/, the bucket notification's filter in AWS
   * (the local S3 notifies every object, the handler's own moves included).
   */
  onS3Event(event: S3Event): void {
    if (this.stopped) return;
    const r = event.Records[0];
    if (!r?.eventName.startsWith('ObjectCreated:') || !r.s3.object.key.startsWith(DROP_PREFIXES.incoming)) return;
    this.dropQueue.send(JSON.stringify(event));
    this.dropSource.poke();
  }

  /**
   * Notifications of the drop bucket that went to the dead-letter queue in this run, or
   * failed their last receive and would at the next (their files are under failed/).
   */
  dropDeadLetters(): number {
    const max = this.dropQueue.maxReceiveCount;
    return this.dropQueue.deadLetters().length + this.dropQueue.pending().filter((m) => m.receiveCount >= max).length;
  }

  /**
   * Queues a notification for every file still under `incoming/` of `bucket`: the local
   * queue lives in memory, so a file whose retry a stop cut short, or one dropped while
   * nothing ran, is picked up by the next start (its identity comes from its content: a
   * file already ingested counts nothing again). @returns how many were queued
   */
  async requeueIncoming(bucket: string): Promise<number> {
    let queued = 0;
    let token: string | undefined;
    do {
      const page = await this.o.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: DROP_PREFIXES.incoming, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        this.onS3Event({
          Records: [
            {
              eventSource: 'aws:s3',
              eventName: 'ObjectCreated:Put',
              s3: {
                bucket: { name: bucket },
                // As S3 writes keys in notifications: URL-encoded, spaces as '+'.
                object: {
                  key: encodeURIComponent(o.Key).replace(/%20/g, '+').replace(/%2F/g, '/'),
                  eTag: o.ETag?.replace(/"/g, ''),
                  size: o.Size,
                },
              },
            },
          ],
        } as unknown as S3Event);
        queued++;
      }
      token = page.NextContinuationToken;
    } while (token);
    return queued;
  }

  /**
   * Starts the file drop's queue, the ingest API and connects the host agent; {@link startClocks}
   * starts the schedule and readings.
   */
  async start(): Promise<void> {
    this.dropSource.start();
    if (this.o.ingestPort !== undefined) {
      const throttle = this.o.throttle ?? INGEST_THROTTLE;
      const bucket = new TokenBucket(throttle.rateLimit, throttle.burstLimit);
      this.server = await listenLocal(
        createServer((req, res) => {
          const t0 = performance.now();
          res.on('finish', () => this.requests.record(res.statusCode, performance.now() - t0));
          this.serve(req, res, bucket).catch((error: Error) => {
            // A client that hung up, or a failure of the handler: never the end of pulse start.
            this.o.log?.(`ingest request failed: ${error.message}`);
            if (!res.headersSent && !res.destroyed) {
              res.writeHead(500, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ error: 'internal error: retry the request' }));
            }
          });
        }),
        this.o.ingestPort,
      );
      this.ingestUrl = `${this.server.endpoint}/v1/events`;
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

  private async serve(req: IncomingMessage, res: ServerResponse, bucket: TokenBucket): Promise<void> {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/events' && !isOtlpPath(path)) {
      return reply(404, { error: 'not found: POST /v1/events, /v1/metrics or /v1/logs' });
    }
    if (req.method !== 'POST') return reply(405, { error: 'method not allowed: use POST' }, { allow: 'POST' });
    // A web page the user has open may POST here (a "simple" cross-origin request needs no
    // preflight): browsers always send Origin, and a form cannot send application/json.
    if (req.headers.origin !== undefined) {
      return reply(403, {
        error: `requests from web pages are refused (Origin ${req.headers.origin}): send from a program, not a browser`,
      });
    }
    if (isOtlpPath(path)) {
      // OTLP/HTTP: exporters retry a 429 or 503 after its Retry-After.
      const refusal = this.stopped
        ? { statusCode: 503 as const, message: 'pulse is stopping: retry against the next run', retryAfterSeconds: 2 }
        : bucket.take()
          ? undefined
          : {
              statusCode: 429 as const,
              message: `too many requests: stay under ${bucket.rate} requests/s, then retry`,
              retryAfterSeconds: 1,
            };
      return this.track(serveOtlp(req, res, path as string, this.otlp, refusal));
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return reply(415, { error: `Content-Type must be application/json, got '${type ?? ''}'` });
    }
    if (this.stopped) return reply(503, { error: 'pulse is stopping: retry against the next run' });
    if (!bucket.take()) {
      return reply(
        429,
        { error: `too many requests: stay under ${bucket.rate} requests/s, then retry` },
        { 'retry-after': '1' },
      );
    }
    // Keeps at most the limit in memory; a larger body is answered 413 with its size.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= INGEST_DEFAULTS.maxBodyBytes) chunks.push(chunk as Buffer);
    }
    if (size > INGEST_DEFAULTS.maxBodyBytes) {
      const out = tooLarge(size, INGEST_DEFAULTS.maxBodyBytes);
      return reply(out.statusCode, out.body);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const out = await this.track(
      this.ingest({ body: Buffer.concat(chunks).toString('utf8'), headers, isBase64Encoded: false }),
    );
    reply(out.statusCode, out.body, (out.headers ?? {}) as Record<string, string>);
  }

  /** Stops every source and waits until what they started is in the stream. */
  async stop(): Promise<SourceCounts> {
    if (this.stopped) return { ...this.counts };
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.server?.stop();
    // Files dropped before the stop are ingested; a failed one waits out its visibility timeout.
    await this.dropSource.stop();
    await this.dropSource.drain();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.reportQueued();
    if (this.agent) this.counts.agent = (await this.agent.stop()).produced;
    return { ...this.counts };
  }

  /**
   * Says what the in-memory queue still holds when it stops (the queue is not kept; the
   * files are): a notification past its last receive is a dead letter (SQS would move it at
   * its next receive), one with receives left leaves its file in incoming/.
   */
  private reportQueued(): void {
    const max = this.dropQueue.maxReceiveCount;
    for (const m of this.dropQueue.pending()) {
      this.o.log?.(
        m.receiveCount >= max
          ? `file drop: the notification of ${keyOf(m)} failed its last receive: dead-lettered (the file is under failed/ with the reason)`
          : `file drop: ${keyOf(m)} failed ${m.receiveCount} of ${max} receives and was waiting for a retry: it stays in incoming/, and the next start queues it again`,
      );
    }
  }

  /**
   * Stops every source without waiting for work in flight or the agent's buffer (a part of
   * the pipeline stopped: their retries would wait on it). {@link stop} then returns at once.
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.agent?.abandon();
    await this.server?.stop();
    await this.dropSource.stop();
  }

  /** The ingest API's requests so far: how many, how many answered 5xx, p95 time to answer (ms). */
  ingestStats(): { requests: number; serverErrors: number; p95Ms: number | null } {
    return this.requests.stats();
  }

  /** Events the sources put on the stream so far. */
  total(): number {
    const c = this.counts;
    return c.collector + c.ingest_api + c.file_drop + c.otlp + (this.agent?.stats().produced ?? c.agent);
  }
}
