/**
 * The pipeline the repair commands (`pulse rebuild`, `pulse redrive`) work on: a running
 * `pulse start` found through its data dir, or a deployed stage with the default AWS
 * credentials and region.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { createS3Client } from '#core/clients/s3.js';
import { resourceNames, STAGE_PATTERN } from '#core/resources.js';
import { readLocalEndpoints } from '#local/endpoints.js';
import { UsageError } from './args.js';

/** The pipeline a repair works on: a running `pulse start` (its data dir) or a deployed stage. */
export interface RepairTarget {
  kinesis: KinesisClient;
  ddb: DynamoDBClient;
  s3: S3Client;
  streamName: string;
  liveTable: string;
  /** The stage with `--aws`; undefined for local mode. */
  stage: string | undefined;
  dataDir: string;
  /** Local mode's one bucket (lake and on-failure destination); AWS buckets come from flags. */
  localBucket: string;
  destroy(): void;
}

/** The options rebuild and redrive share: where the stack is (local data dir, or a stage in AWS) and help. */
export const TARGET_OPTIONS = {
  'data-dir': { type: 'string' },
  aws: { type: 'boolean' },
  stage: { type: 'string' },
  bucket: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/**
 * Clients and names from `--aws --stage S` or `--data-dir D`.
 * @param awsFlags what else `--aws` needs, for the messages (e.g. ` --bucket NAME`)
 * @throws UsageError naming the missing stage or the missing local stack
 */
export function repairTarget(
  values: { aws?: boolean; stage?: string; 'data-dir'?: string },
  awsFlags: string,
): RepairTarget {
  const dataDir = values['data-dir'] ?? '.data';
  const localBucket = resourceNames('local').lakeBucket;
  let t: Omit<RepairTarget, 'dataDir' | 'localBucket' | 'destroy'>;
  if (values.aws) {
    if (!values.stage || !STAGE_PATTERN.test(values.stage)) {
      throw new UsageError(`--aws needs --stage NAME${awsFlags}, got stage '${values.stage ?? ''}'`);
    }
    const names = resourceNames(values.stage);
    t = {
      kinesis: createKinesisClient(),
      ddb: createDynamoClient(),
      s3: createS3Client(),
      streamName: names.stream,
      liveTable: names.windowTable,
      stage: values.stage,
    };
  } else {
    const local = readLocalEndpoints(dataDir);
    if (!local) {
      throw new UsageError(
        `no running pulse start found in ${dataDir}: start it, or use --aws --stage NAME${awsFlags}`,
      );
    }
    t = {
      kinesis: createKinesisClient({ endpoint: local.kinesis }),
      ddb: createDynamoClient({ endpoint: local.dynamodb }),
      s3: createS3Client({ endpoint: local.s3 }),
      streamName: local.stream,
      liveTable: local.windowTable,
      stage: undefined,
    };
  }
  return {
    ...t,
    dataDir,
    localBucket,
    destroy: () => {
      t.kinesis.destroy();
      t.ddb.destroy();
      t.s3.destroy();
    },
  };
}
