/**
 * Powertools Idempotency for the sources: one DynamoDB table (defined here as
 * data, created from it by the CDK app and by local mode), and a wrapper that
 * makes a unit of work (a tick, a request, a file) run at most once per key.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';

import { IDEMPOTENCY_TABLE } from './http-api.js';

export { IDEMPOTENCY_TABLE } from './http-api.js';

/** CreateTable input for the idempotency table (on-demand), as local mode issues it. */
export function createIdempotencyTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, KeyType: 'HASH' as const }],
  };
}

/** Where idempotency records live. */
export interface IdempotencyStore {
  ddb: DynamoDBClient;
  tableName: string;
}

/** Settings of one idempotent unit of work. */
export interface IdempotentOptions {
  /**
   * Names the unit in the record key (`<keyPrefix>#<hash of the key>`); fixed per
   * source so a key means the same in AWS and locally (Powertools would use the
   * function name, which differs between stacks).
   */
  keyPrefix: string;
  /** JMESPath of the idempotency key within the first argument. */
  keyPath: string;
  /** JMESPath of what must be identical for a repeat (a reused key with other data is refused). */
  validationPath?: string;
  /** How long a completed unit is remembered (default 24 h). */
  expiresAfterSeconds?: number;
}

/** The part of a Lambda context that idempotency needs: the time left before the timeout. */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/** Outside Lambda (local mode, tests): a unit of work gets this long, like a Lambda timeout. */
export const LOCAL_TIMEOUT_MS = 60_000;

/** Kept back from the Lambda timeout to answer (and let Powertools record the outcome). */
const MARGIN_MS = 3_000;

/** A clock for work outside Lambda: {@link LOCAL_TIMEOUT_MS} from now. */
export function localClock(timeoutMs = LOCAL_TIMEOUT_MS): RemainingTime {
  const end = Date.now() + timeoutMs;
  return { getRemainingTimeInMillis: () => end - Date.now() };
}

/** When a unit of work must be done by (epoch ms): the time left, less a margin to answer. */
export function deadlineOf(time: RemainingTime): number {
  const left = time.getRemainingTimeInMillis();
  return Date.now() + Math.max(left / 2, left - MARGIN_MS);
}

/**
 * Wraps `fn` so a second call with the same key returns the first call's result
 * without running `fn` again. While a first call is in progress, a second one
 * throws `IdempotencyAlreadyInProgressError`; with a different payload under the
 * same key, `IdempotencyValidationError`. A call that throws is not remembered.
 * Pass the Lambda context: its remaining time bounds the in-progress record (a call
 * that dies with its Lambda does not block the key until expiry) and is handed to
 * `fn` for its own deadline; outside Lambda, {@link localClock} stands in.
 */
export function idempotent<A extends Record<string, unknown>, R extends Record<string, unknown>>(
  store: IdempotencyStore,
  options: IdempotentOptions,
  fn: (input: A, time: RemainingTime) => Promise<R>,
): (input: A, context?: RemainingTime) => Promise<R> {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: store.tableName,
    awsSdkV3Client: store.ddb,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: options.keyPath,
    ...(options.validationPath ? { payloadValidationJmesPath: options.validationPath } : {}),
    expiresAfterSeconds: options.expiresAfterSeconds ?? 86_400,
    throwOnNoIdempotencyKey: true,
  });
  // Called with a context as its second argument, Powertools treats fn as a handler and
  // registers that context for the in-progress expiry.
  const once = makeIdempotent(fn, { persistenceStore, config, keyPrefix: options.keyPrefix }) as unknown as (
    input: A,
    time: RemainingTime,
  ) => Promise<R>;
  return (input, context) => once(input, context ?? localClock());
}
