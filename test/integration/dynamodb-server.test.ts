import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../core/clients/dynamodb.js';
import { DYNAMODB_LOCAL_JVM_OPTIONS, javaToolOptions, startDynamoServer } from '../../core/local/dynamodb-server.js';

describe('local DynamoDB server', () => {
  it('composes JAVA_TOOL_OPTIONS: the user’s own options first, then the quick compiler and the serial collector', () => {
    // Prepare / Act / Assess
    expect(javaToolOptions(undefined)).toBe('-XX:TieredStopAtLevel=1 -XX:+UseSerialGC');
    expect(javaToolOptions('  -Xmx2g ')).toBe('-Xmx2g -XX:TieredStopAtLevel=1 -XX:+UseSerialGC');
  });

  it('starts DynamoDB Local with those JVM options, without changing the environment of Pulse itself', async () => {
    // Prepare
    const pidFile = join(mkdtempSync(join(tmpdir(), 'pulse-ddb-')), 'dynamodb-local.pid');
    const before = process.env.JAVA_TOOL_OPTIONS;
    // Act
    const server = await startDynamoServer({ prefer: 'dynamodb-local', pidFile });
    try {
      const environ = readFileSync(`/proc/${readFileSync(pidFile, 'utf8')}/environ`, 'utf8').split('\0');
      const tables = await createDynamoClient({ endpoint: server.endpoint }).send(new ListTablesCommand({}));
      // Assess
      expect(environ).toContain(`JAVA_TOOL_OPTIONS=${javaToolOptions(before)}`);
      expect(DYNAMODB_LOCAL_JVM_OPTIONS.every((o) => environ.some((e) => e.includes(o)))).toBe(true);
      expect(tables.TableNames).toEqual([]);
      expect(process.env.JAVA_TOOL_OPTIONS).toBe(before);
    } finally {
      await server.stop();
    }
  });
});
