/**
 * The one place an S3 client is built. Against a local server (s3rver) it uses the
 * only key pair s3rver accepts, path-style addressing, and checksums only when
 * required (s3rver stores streamed, checksummed bodies corrupted otherwise).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Where to reach S3: AWS (no endpoint) or a local server. */
export interface S3Endpoint {
  endpoint?: string | undefined;
  region?: string | undefined;
}

/** Builds an S3 client. */
export function createS3Client(options: S3Endpoint = {}): S3Client {
  return new S3Client({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 60_000 }),
    ...(options.endpoint !== undefined
      ? {
          endpoint: options.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
}
