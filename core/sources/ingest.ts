/**
 * The HTTP ingest API, free of API Gateway types: `POST /v1/events` with
 * `{"events": [...]}`. Each event is validated on its own; the answer is 202 with
 * the accepted and rejected counts and one error (index, field, reason) per
 * rejected event. 400 for a malformed body or Idempotency-Key, 413 above the size
 * limit, 409 while the same Idempotency-Key is in progress, 422 when a key is
 * reused with a different body, 503 when the stream did not take the events.
 * (429 comes from the throttle in front: API Gateway in AWS, the local server here.)
 *
 * With an `Idempotency-Key`, a retried request returns the first answer and
 * produces nothing (Powertools Idempotency); its events also carry identities
 * derived from the key, so even a retry of a request that failed half-way counts
 * nothing twice.
 */
import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { ProduceTimeoutError } from '#core/produce/errors.js';
import { deadlineOf, type IdempotencyStore, idempotent, localClock, type RemainingTime } from './idempotency.js';
import { produceUnit, type StreamTarget, unitProducerId } from './emit.js';
import { type InputError, validateBatch } from './input.js';
import { ephemeralProducerId } from '#core/windows/producer-ids.js';

/** Limits of the ingest API (defaults as data). */
import { INGEST_DEFAULTS, type IngestLimits } from './http-api.js';

export { INGEST_DEFAULTS, INGEST_THROTTLE, type IngestLimits } from './http-api.js';

/** An ingest request, as any HTTP front end hands it over. */
export interface IngestRequest {
  /** The raw body (UTF-8). */
  body: string;
  /** The `Idempotency-Key` header, when sent. */
  idempotencyKey?: string;
  /**
   * Who sent it (in AWS the caller's IAM principal ARN): a key is scoped to its caller,
   * so two callers who pick the same key never answer or suppress each other's events.
   */
  caller?: string;
}

/** An answer: status and JSON body. */
export interface IngestResponse {
  statusCode: number;
  body: IngestAnswer | { error: string };
}

/** Body of a 202. */
export interface IngestAnswer {
  accepted: number;
  rejected: number;
  errors: InputError[];
}

/** What the ingest API needs. */
export interface IngestDeps {
  target: StreamTarget;
  store: IdempotencyStore;
  limits?: Partial<IngestLimits>;
}

const fail = (statusCode: number, error: string): IngestResponse => ({ statusCode, body: { error } });

/** The 413 for a body of `bytes` above `limit` (the local server answers it before reading it all). */
export function tooLarge(bytes: number, limit: number): IngestResponse {
  return fail(413, `body is ${bytes} bytes, above the ${limit}-byte limit: split the events into smaller requests`);
}

/** See the module comment. */
export class IngestApi {
  private readonly limits: IngestLimits;
  private readonly once: (
    input: { key: string; body: string },
    context?: RemainingTime,
  ) => Promise<IngestResponse & Record<string, unknown>>;

  constructor(private readonly deps: IngestDeps) {
    this.limits = { ...INGEST_DEFAULTS, ...deps.limits };
    this.once = idempotent(
      deps.store,
      { keyPrefix: 'ingest', keyPath: 'key', validationPath: 'body' },
      // The body is part of the identity: a key reused after its record expired, with new
      // events, must not collide with the old ones.
      async (input: { key: string; body: string }, time) =>
        (await this.accept(
          input.body,
          unitProducerId('ingest-api', input.key, input.body),
          deadlineOf(time),
        )) as IngestResponse & Record<string, unknown>,
    );
  }

  /** Handles one request; never throws for anything the caller did. Pass the Lambda context when there is one. */
  async handle(request: IngestRequest, context?: RemainingTime): Promise<IngestResponse> {
    const bytes = Buffer.byteLength(request.body);
    if (bytes > this.limits.maxBodyBytes) return tooLarge(bytes, this.limits.maxBodyBytes);
    const key = request.idempotencyKey;
    if (key !== undefined && (key.length === 0 || key.length > 255)) {
      return fail(400, 'Idempotency-Key must be 1-255 characters');
    }
    try {
      if (key === undefined) {
        // Never sent again under this identity (a retry is a new request): marks kept briefly.
        const producerId = ephemeralProducerId('ingest-api');
        return await this.accept(request.body, producerId, deadlineOf(context ?? localClock()));
      }
      // The caller is part of the key (and so of the unit's identity); a NUL cannot be in either.
      const scoped = request.caller === undefined ? key : `${request.caller}\u0000${key}`;
      return await this.once({ key: scoped, body: request.body }, context);
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        return fail(409, 'a request with this Idempotency-Key is still in progress: retry it in a few seconds');
      }
      if (error instanceof IdempotencyValidationError) {
        return fail(422, 'this Idempotency-Key was already used with a different body: use a new key for new events');
      }
      if (error instanceof ProduceTimeoutError) {
        return fail(
          503,
          key === undefined
            ? 'the stream did not take all events in time: retry with an Idempotency-Key header, so a retry cannot count twice'
            : 'the stream did not take all events in time: retry the request with the same Idempotency-Key',
        );
      }
      throw error;
    }
  }

  private async accept(body: string, producerId: string, deadline: number): Promise<IngestResponse> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      // JSON.parse's message quotes the body: not repeated here.
      return fail(400, 'body is not valid JSON: send {"events": [ ... ]}');
    }
    const events = (parsed as { events?: unknown } | null)?.events;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray(events)) {
      return fail(400, 'body must be a JSON object with an "events" array: send {"events": [ ... ]}');
    }
    if (events.length === 0) return fail(400, '"events" is empty: send at least one event');
    if (events.length > this.limits.maxEvents) {
      return fail(
        413,
        `${events.length} events is above the limit of ${this.limits.maxEvents} per request: split them`,
      );
    }
    const batch = validateBatch(events, 'ingest-api');
    // A failure to produce is thrown, not returned: an idempotent request must not remember it.
    if (batch.events.length > 0) await produceUnit(this.deps.target, producerId, batch.events, deadline);
    return {
      statusCode: 202,
      body: { accepted: batch.events.length, rejected: batch.errors.length, errors: batch.errors },
    };
  }
}
