/** Creates the window table in a local DynamoDB from the shared definition (projections/table.ts). */
import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../projections/table.js';

/** Creates the table if it does not exist and waits until it is ACTIVE. */
export async function ensureWindowTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await ddb.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as Error).name !== 'ResourceInUseException') throw error;
  }
  await waitUntilTableExists({ client: ddb, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
}
