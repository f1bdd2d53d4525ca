/** The one place a DynamoDB client is built (AWS, or a local server by endpoint). */
import { type AttributeValue, DynamoDBClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Where to reach DynamoDB: AWS (no endpoint) or a local server. */
export interface DynamoEndpoint {
  endpoint?: string | undefined;
  region?: string | undefined;
  /** SDK retry attempts for throttling and 5xx (default 3). */
  maxAttempts?: number;
}

/** Builds a DynamoDB client; with an endpoint, uses dummy credentials that local servers accept. */
export function createDynamoClient(options: DynamoEndpoint = {}): DynamoDBClient {
  return new DynamoDBClient({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 10_000 }),
    ...(options.endpoint !== undefined
      ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}

/** Every item a query returns, following `LastEvaluatedKey` across pages. */
export async function queryAll(
  ddb: Pick<DynamoDBClient, 'send'>,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/**
 * True for errors the SDK answered with (throttling, 5xx, validation, timeouts after its
 * retries): a write failed and is reported; anything else ends the invocation.
 */
export function isServiceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$metadata' in error;
}
