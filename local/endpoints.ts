/**
 * `<data dir>/endpoints.json`: where a running `pulse start` serves the AWS APIs and with
 * which credentials, so other `pulse` commands (collect, quarantine) and any AWS tool
 * reach the same local stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The keys a local server takes: any AWS tool (the CLI, an SDK) can use them. */
export interface LocalCredentials {
  /** `any`: the server checks no key. */
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** The addresses and names of a running local stack, and the credentials each server takes. */
export interface LocalEndpoints {
  kinesis: string;
  stream: string;
  s3: string;
  dynamodb: string;
  windowTable: string;
  lakeBucket?: string;
  credentials?: { kinesis: LocalCredentials; dynamodb: LocalCredentials; s3: LocalCredentials };
}

/**
 * What each local server accepts. kinesalite checks no key; DynamoDB Local runs with
 * `-sharedDb`, so every key (of letters and digits: its own rule) and region sees the
 * same tables; s3rver accepts only the pair S3RVER/S3RVER. The region is the one the resources are named in (any works for
 * kinesalite and DynamoDB Local).
 */
export const LOCAL_CREDENTIALS: NonNullable<LocalEndpoints['credentials']> = Object.freeze({
  kinesis: { accessKeyId: 'any', secretAccessKey: 'any', region: 'us-east-1' },
  dynamodb: { accessKeyId: 'any', secretAccessKey: 'any', region: 'any' },
  s3: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' },
});

/** The endpoints of the `pulse start` running on `dataDir`, or undefined when none runs. */
export function readLocalEndpoints(dataDir: string): LocalEndpoints | undefined {
  const file = join(dataDir, 'endpoints.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints) : undefined;
}
