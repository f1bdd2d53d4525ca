/**
 * The local ingest API: an HTTP server on 127.0.0.1 that hands `POST /v1/events` to the
 * ingest handler and `POST /v1/metrics`, `/v1/logs` to the OTLP handler (./otlp-server.ts),
 * as API Gateway does in AWS, behind a token-bucket throttle (API Gateway's stage
 * throttling) that answers 429. It records each answer's status and time (the ingest SLIs).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ingestHandler } from '#handlers/lib/sources.js';
import type { otlpHandler } from '#handlers/lib/otlp.js';
import { INGEST_DEFAULTS, tooLarge } from '#core/sources/ingest.js';
import { type LocalServer, listenLocal } from './kinesis-server.js';
import { isOtlpPath, serveOtlp } from './otlp-server.js';

/** The ingest API's requests so far: how many, how many answered 5xx, p95 time to answer (ms). */
export interface IngestStats {
  requests: number;
  serverErrors: number;
  p95Ms: number | null;
}

/** What the server serves, and how it hears of the sources' state. */
export interface IngestServerOptions {
  /** Port on 127.0.0.1 (0: any free port). */
  port: number;
  throttle: { rateLimit: number; burstLimit: number };
  ingest: ReturnType<typeof ingestHandler>;
  otlp: ReturnType<typeof otlpHandler>;
  /** True once the sources stop: requests are answered 503 (retry against the next run). */
  stopping: () => boolean;
  /** Registers a handler's work, so that stopping the sources waits for it. */
  track: <T>(work: Promise<T>) => Promise<T>;
  log?: (line: string) => void;
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

  stats(): IngestStats {
    const sorted = [...this.times].sort((a, b) => a - b);
    const p95 = sorted.length === 0 ? null : (sorted[Math.ceil(0.95 * sorted.length) - 1] as number);
    return {
      requests: this.requests,
      serverErrors: this.serverErrors,
      p95Ms: p95 === null ? null : Math.round(p95 * 10) / 10,
    };
  }
}

/** The stats of an ingest API that does not run. */
export const NO_INGEST: IngestStats = { requests: 0, serverErrors: 0, p95Ms: null };

/** See the module comment. */
export class IngestServer {
  private readonly requests = new RequestLog();
  private readonly bucket: TokenBucket;
  private server: LocalServer | undefined;

  private constructor(private readonly o: IngestServerOptions) {
    this.bucket = new TokenBucket(o.throttle.rateLimit, o.throttle.burstLimit);
  }

  /** Listens on 127.0.0.1 at `o.port`. */
  static async start(o: IngestServerOptions): Promise<IngestServer> {
    const ingest = new IngestServer(o);
    await ingest.listen();
    return ingest;
  }

  /** The JSON ingest endpoint's address (`…/v1/events`). */
  get url(): string {
    return `${this.server?.endpoint}/v1/events`;
  }

  /** The requests so far (see {@link IngestStats}). */
  stats(): IngestStats {
    return this.requests.stats();
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    await this.server?.stop();
  }

  private async listen(): Promise<void> {
    this.server = await listenLocal(
      createServer((req, res) => {
        const t0 = performance.now();
        res.on('finish', () => this.requests.record(res.statusCode, performance.now() - t0));
        this.serve(req, res).catch((error: Error) => {
          // A client that hung up, or a failure of the handler: never the end of pulse start.
          this.o.log?.(`ingest request failed: ${error.message}`);
          if (!res.headersSent && !res.destroyed) {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: 'internal error: retry the request' }));
          }
        });
      }),
      this.o.port,
    );
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bucket = this.bucket;
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
      const refusal = this.o.stopping()
        ? { statusCode: 503 as const, message: 'pulse is stopping: retry against the next run', retryAfterSeconds: 2 }
        : bucket.take()
          ? undefined
          : {
              statusCode: 429 as const,
              message: `too many requests: stay under ${bucket.rate} requests/s, then retry`,
              retryAfterSeconds: 1,
            };
      return this.o.track(serveOtlp(req, res, path as string, this.o.otlp, refusal));
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return reply(415, { error: `Content-Type must be application/json, got '${type ?? ''}'` });
    }
    if (this.o.stopping()) return reply(503, { error: 'pulse is stopping: retry against the next run' });
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
    const out = await this.o.track(
      this.o.ingest({ body: Buffer.concat(chunks).toString('utf8'), headers, isBase64Encoded: false }),
    );
    reply(out.statusCode, out.body, (out.headers ?? {}) as Record<string, string>);
  }
}
