/**
 * Stream administration used by local mode and tests: create a stream and wait
 * until it is ACTIVE, read a whole shard from the trim horizon.
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import { listShards } from '../clients/kinesis.js';

/**
 * Creates a provisioned stream with `shardCount` shards (an existing one is kept) and waits until it is ACTIVE.
 * @returns false when the stream already existed
 */
export async function createStream(kinesis: KinesisClient, streamName: string, shardCount: number): Promise<boolean> {
  let created = true;
  try {
    // Ask first: kinesalite on LevelDB may accept a second CreateStream for a stream it holds.
    await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    created = false;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  }
  await waitActive(kinesis, streamName);
  return created;
}

/** Polls until the stream is ACTIVE (at most `timeoutMs`). */
export async function waitActive(kinesis: KinesisClient, streamName: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > until) throw new Error(`stream ${streamName} not ACTIVE after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every shard of the stream (re-exported from the Kinesis client module). */
export { listShards };

/** Reads a shard from TRIM_HORIZON until it returns no more records (the shard's current end). */
export async function readShard(kinesis: KinesisClient, streamName: string, shardId: string): Promise<KinesisRecord[]> {
  const it = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  let iterator = it.ShardIterator;
  const records: KinesisRecord[] = [];
  while (iterator) {
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    records.push(...(out.Records ?? []));
    if ((out.Records ?? []).length === 0) break;
    iterator = out.NextShardIterator;
  }
  return records;
}
