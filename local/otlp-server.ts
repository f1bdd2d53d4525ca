/**
 * OTLP/HTTP on the local ingest server: `POST /v1/metrics` and `POST /v1/logs` read (up to
 * the body limit) and handed to the same handler as in AWS, with API Gateway's event shape
 * (the body base64-encoded, as API Gateway passes binary media); its answer written back.
 * The server's shared rules (404, 405, browser Origin refused, throttle, stopping) are
 * applied before, in ./sources.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { otlpHandler } from '#handlers/lib/otlp.js';
import { OTLP_LIMITS, OTLP_PATHS } from '#core/sources/otlp/otlp-ingest.js';
import { encodeStatus } from '#core/sources/otlp/wire.js';

/** True for the paths of the OTLP signals. */
export function isOtlpPath(path: string | undefined): boolean {
  return path === OTLP_PATHS.metrics || path === OTLP_PATHS.logs;
}

/** A request the server refuses before reading it (throttled, or pulse stopping), with when to retry. */
export interface OtlpRefusal {
  statusCode: 429 | 503;
  message: string;
  retryAfterSeconds: number;
}

/** The answer's encoding: the request's (OTLP/HTTP), protobuf unless it sent JSON. */
const encodingOf = (req: IncomingMessage) =>
  (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json') ? 'json' : 'protobuf';

/** Writes an error answer: a google.rpc.Status in the request's encoding. */
function refuse(req: IncomingMessage, res: ServerResponse, statusCode: number, message: string, retryAfter?: number) {
  const encoding = encodingOf(req);
  res.writeHead(statusCode, {
    'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
  });
  res.end(encodeStatus(encoding, statusCode, message));
}

/**
 * Serves one OTLP request, or answers `refusal` without reading it. A body above the limit
 * is answered 413 (what passes the limit is read and thrown away, so the client can read
 * the answer).
 */
export async function serveOtlp(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  handler: ReturnType<typeof otlpHandler>,
  refusal?: OtlpRefusal,
  maxBodyBytes: number = OTLP_LIMITS.maxBodyBytes,
): Promise<void> {
  if (refusal) {
    req.resume();
    return refuse(req, res, refusal.statusCode, refusal.message, refusal.retryAfterSeconds);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= maxBodyBytes) chunks.push(chunk as Buffer);
  }
  if (size > maxBodyBytes) {
    return refuse(
      req,
      res,
      413,
      `body is ${size} bytes, above the ${maxBodyBytes}-byte limit: lower the exporter's batch size`,
    );
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  const out = await handler({
    path,
    resource: path,
    headers,
    body: Buffer.concat(chunks).toString('base64'),
    isBase64Encoded: true,
  });
  res.writeHead(out.statusCode, (out.headers ?? {}) as Record<string, string>);
  res.end(Buffer.from(out.body, out.isBase64Encoded ? 'base64' : 'utf8'));
}
