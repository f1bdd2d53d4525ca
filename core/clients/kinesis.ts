/**
 * The one place a Kinesis client is built. HTTP/1.1 (NodeHttpHandler) because the
 * SDK's default HTTP/2 handler fails against local servers such as kinesalite.
 */
import { KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Where to reach Kinesis: AWS (no endpoint) or a local server. */
export interface KinesisEndpoint {
  /** e.g. `http://127.0.0.1:4567`; undefined for AWS. */
  endpoint?: string | undefined;
  region?: string | undefined;
}

/** Builds a Kinesis client; with an endpoint, uses dummy credentials that local servers accept. */
export function createKinesisClient(options: KinesisEndpoint = {}): KinesisClient {
  const local = options.endpoint !== undefined;
  return new KinesisClient({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
    ...(local ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

/** Every shard of a stream, open or closed (all ListShards pages). */
export async function listShards(kinesis: Pick<KinesisClient, 'send'>, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const out = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
    shards.push(...(out.Shards ?? []));
    token = out.NextToken;
  } while (token);
  return shards;
}

/** The parent shard ids of a shard (none, one after a split, two after a merge). */
export function parentShardIds(shard: Shard): string[] {
  return [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p);
}

/**
 * The `Limit` of a GetRecords that should return about `budgetBytes` at `avgRecordBytes`
 * a record (1 to Kinesis's 10,000). Kinesis caps a read at 10 MB by itself; kinesalite
 * does not, and a backlog of aggregates up to 1 MB each can come back as a gigabyte.
 */
export function recordsWithin(budgetBytes: number, avgRecordBytes: number): number {
  return Math.max(1, Math.min(10_000, Math.floor(budgetBytes / Math.max(1, avgRecordBytes))));
}
