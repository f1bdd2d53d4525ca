/** A local S3 (s3rver) on 127.0.0.1, storing objects under a directory. */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import type { LocalServer } from './kinesis-server.js';

const require = createRequire(import.meta.url);

interface S3rver {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  on(event: 'event', listener: (e: S3Event) => void): void;
}

/**
 * Starts s3rver (port 0: any free port) storing under `directory`. `onEvent` receives
 * its object notifications, in S3's event format (one record each).
 */
export async function startS3Server(options: {
  directory: string;
  port?: number;
  onEvent?: (event: S3Event) => void;
}): Promise<LocalServer> {
  mkdirSync(options.directory, { recursive: true });
  const S3rver = require('s3rver') as new (o: object) => S3rver;
  const server = new S3rver({
    port: options.port ?? 0,
    address: '127.0.0.1',
    directory: options.directory,
    silent: true,
  });
  if (options.onEvent) server.on('event', options.onEvent);
  let info: { port: number };
  try {
    info = await server.run();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${options.port} is in use: stop what runs there or choose another port`);
    }
    throw e;
  }
  return { endpoint: `http://127.0.0.1:${info.port}`, stop: () => server.close() };
}

/** Creates a bucket, tolerating one that exists. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}
