/** Creates tables in a local DynamoDB from the shared definitions (projections/table.ts, sources/idempotency.ts). */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from '#core/projections/table.js';
import { createIdempotencyTableInput } from '#core/sources/idempotency.js';

async function ensureTable(ddb: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  try {
    await ddb.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as Error).name !== 'ResourceInUseException') throw error;
  }
  await waitUntilTableExists({ client: ddb, maxWaitTime: 60, minDelay: 1 }, { TableName: input.TableName });
}

/** Creates the window table if it does not exist and waits until it is ACTIVE. */
export async function ensureWindowTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(ddb, createTableInput(tableName));
}

/** Creates the sources' idempotency table if it does not exist and waits until it is ACTIVE. */
export async function ensureIdempotencyTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(ddb, createIdempotencyTableInput(tableName));
}
