/**
 * `<data dir>/endpoints.json`: where a running `pulse start` serves the AWS APIs, so
 * other `pulse` commands (collect, quarantine) reach the same local stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The addresses and names of a running local stack. */
export interface LocalEndpoints {
  kinesis: string;
  stream: string;
  s3: string;
  dynamodb: string;
  windowTable: string;
}

/** The endpoints of the `pulse start` running on `dataDir`, or undefined when none runs. */
export function readLocalEndpoints(dataDir: string): LocalEndpoints | undefined {
  const file = join(dataDir, 'endpoints.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints) : undefined;
}
