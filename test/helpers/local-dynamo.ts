/** Starts a local DynamoDB for a test file and gives each test a fresh window table. */
import { randomUUID } from 'node:crypto';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { type LocalDynamo, startDynamoServer } from '#local/dynamodb-server.js';
import { ensureWindowTable } from '#local/tables.js';

/** Registers hooks; the returned object is filled before tests run. */
export function useLocalDynamo(): { server: LocalDynamo; ddb: DynamoDBClient; newTable(): Promise<string> } {
  const ctx = {} as { server: LocalDynamo; ddb: DynamoDBClient; newTable(): Promise<string> };
  beforeAll(async () => {
    ctx.server = await startDynamoServer();
    ctx.ddb = createDynamoClient({ endpoint: ctx.server.endpoint });
    ctx.newTable = async () => {
      const name = `windows-${randomUUID().slice(0, 8)}`;
      await ensureWindowTable(ctx.ddb, name);
      return name;
    };
  }, 120_000);
  afterAll(async () => {
    ctx.ddb?.destroy();
    await ctx.server?.stop();
  });
  return ctx;
}

/** Every item of a table. */
export async function scanAll(ddb: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}
