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
import { listShards, recordsWithin } from '#core/clients/kinesis.js';

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

/**
 * A shard's records from TRIM_HORIZON until a read returns none (the shard's current
 * end), a page at a time. Kinesis answers at most 10 MB per read; kinesalite has no
 * such cap, and 500 aggregated records of up to 1 MB each held 700 MB of heap. So
 * each read asks for as many records as fit in `pageBytes` at the sizes read so far
 * (starting at `limit`).
 */
export async function* shardPages(
  kinesis: KinesisClient,
  streamName: string,
  shardId: string,
  limit = 100,
  pageBytes = 8 * 1_048_576,
): AsyncGenerator<KinesisRecord[]> {
  const it = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  let iterator = it.ShardIterator;
  let ask = limit;
  while (iterator) {
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: ask }));
    const records = out.Records ?? [];
    if (records.length === 0) return;
    yield records;
    ask = recordsWithin(pageBytes, records.reduce((n, r) => n + (r.Data?.length ?? 0), 0) / records.length);
    iterator = out.NextShardIterator;
  }
}

/** Every record of a shard (see {@link shardPages}), in one array: for tests and small streams. */
export async function readShard(kinesis: KinesisClient, streamName: string, shardId: string): Promise<KinesisRecord[]> {
  const records: KinesisRecord[] = [];
  for await (const page of shardPages(kinesis, streamName, shardId)) records.push(...page);
  return records;
}
