/**
 * Rebuild: re-derives the window table from the log into a fresh table, through
 * the real projection, then compares the windows of a time range with the live
 * table item by item on what they hold (count, sum, min, max, last, sketch), and
 * optionally copies them over the live ones (in place).
 *
 * The log is read shard by shard, parents before children, each shard from its
 * start, so every watermark and producer mark is rebuilt as the live projection
 * built it. Three sources of the log:
 * - the stream from TRIM_HORIZON: exact while its retention covers everything the
 *   live projection read;
 * - the Parquet archive (core/ops/archive.ts): for data older than the retention;
 *   exact once Firehose has delivered everything (its buffers hold the last
 *   minutes);
 * - both: the archive for records that arrived before a time, the stream from
 *   that time on (AT_TIMESTAMP), so the newest minutes need not wait for Firehose.
 *
 * Shard lineage (to seed a child from its parents) comes from ListShards and,
 * for shards past the retention, from the parents the live checkpoints recorded.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { listShards } from '../clients/kinesis.js';
import type { SchemaRegistry } from '../contract/registry.js';
import { CheckpointStore } from '../projections/checkpoints.js';
import { type BatchRecord, WindowProjection } from '../projections/window-projection.js';
import type { WindowingConfig } from '../windows/config.js';
import { compareSeq } from '../windows/position.js';
import type { ArchiveReader } from './archive.js';
import { RebuildError } from './errors.js';

/** Attributes that say what a window holds (not how it got there: version, fences, expiry). */
const CONTENT = ['kind', 'a', 'b', 'size', 'ws', 'we', 'n', 'sum', 'min', 'max', 'last', 'lastAt', 'sketch'];

/** What a rebuild did. */
export interface RebuildResult {
  /** Kinesis records replayed (from the archive and the stream). */
  records: number;
  /** Windows in the range, in the rebuilt table. */
  windows: number;
  /** Events in the range's finest windows of the rebuilt table. */
  events: number;
  /** Windows whose content differs from the live table's (missing on either side included). */
  differing: { pk: string; sk: string }[];
  /** Windows copied over the live table (in place only). */
  copied: number;
}

/** Settings of a rebuild. */
export interface RebuildOptions {
  kinesis: KinesisClient;
  streamName: string;
  ddb: DynamoDBClient;
  /** The live window table. */
  liveTable: string;
  /** A fresh, empty table with the window table's definition. */
  freshTable: string;
  registry: SchemaRegistry;
  config: WindowingConfig;
  /** Event-time range of the windows to compare (and copy), epoch ms, [from, to). */
  from: number;
  to: number;
  /** Copy the rebuilt windows of the range over the live ones. */
  inPlace?: boolean;
  /** Replay this archive; without it, the whole stream is replayed from TRIM_HORIZON. */
  archive?: ArchiveReader;
  /**
   * With an archive: the records that arrived at or after this time (epoch ms) are
   * read from the stream (AT_TIMESTAMP), the earlier ones from the archive. Without
   * it, the archive alone.
   */
  streamFrom?: number;
  /** Told the progress after every batch (a progress bar). */
  onProgress?: (progress: RebuildProgress) => void;
}

/** How far a rebuild is. */
export interface RebuildProgress {
  /** Kinesis records replayed so far. */
  records: number;
  /** Shards finished, of all shards to replay. */
  shardsDone: number;
  shards: number;
  /** Records in the archive (archive sources; the stream cannot say how many it holds). */
  archiveRecords?: number;
}

/** Records per projection batch, as a large Lambda batch. */
const BATCH = 1_000;
/** Attempts at one batch against a refusing fresh table (throttling) before giving up. */
const MAX_ATTEMPTS = 8;

/** Parents of every shard known to the stream or to the live checkpoints. */
async function lineage(o: RebuildOptions, needStream: boolean): Promise<Map<string, string[]>> {
  const parents = new Map<string, string[]>();
  for (const cp of await new CheckpointStore(o.ddb, o.liveTable).all()) parents.set(cp.shardId, cp.parents);
  try {
    for (const s of await listShards(o.kinesis, o.streamName)) {
      parents.set(
        s.ShardId as string,
        [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p),
      );
    }
  } catch (error) {
    // An archive alone may outlive its stream.
    if (needStream || (error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  return parents;
}

/** Shards in an order where every shard comes after its parents (ids sorted otherwise). */
function parentsFirst(shards: Iterable<string>, parents: Map<string, string[]>): string[] {
  const wanted = new Set(shards);
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id);
    for (const p of parents.get(id) ?? []) if (wanted.has(p)) visit(p);
    order.push(id);
  };
  for (const id of [...wanted].sort()) visit(id);
  return order;
}

/** The stream records of a shard from a position, `BATCH` at a time, until the shard's end or its tip. */
async function* streamRecords(o: RebuildOptions, shardId: string, at?: number): AsyncGenerator<BatchRecord[]> {
  let iterator = (
    await o.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: o.streamName,
        ShardId: shardId,
        ...(at === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(at) }),
      }),
    )
  ).ShardIterator;
  while (iterator) {
    const out = await o.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: BATCH }));
    const records = out.Records ?? [];
    if (records.length > 0) {
      yield records.map((r) => ({
        record: r,
        sequenceNumber: r.SequenceNumber as string,
        arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
      }));
    } else if ((out.MillisBehindLatest ?? 0) === 0) {
      return; // at the tip of an open shard
    }
    iterator = out.NextShardIterator;
  }
}

/** Applies one batch, retrying from the record the projection reports failed. */
async function apply(projection: WindowProjection, shardId: string, batch: BatchRecord[]): Promise<void> {
  let rest = batch;
  for (let attempt = 1; rest.length > 0; attempt++) {
    const { failedSequenceNumber } = await projection.processBatch(shardId, rest);
    if (failedSequenceNumber === undefined) return;
    if (attempt === MAX_ATTEMPTS) {
      throw new RebuildError(
        `the fresh table refused writes ${MAX_ATTEMPTS} times for shard ${shardId} at sequence number ${failedSequenceNumber} (throttled?): raise its capacity, or run the rebuild again`,
      );
    }
    rest = rest.filter((r) => compareSeq(r.sequenceNumber, failedSequenceNumber) >= 0);
    await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
  }
}

/** Replays the log (see the module comment) into the fresh table; resolves with the records read. */
async function replay(o: RebuildOptions): Promise<number> {
  const fromStream = o.archive === undefined || o.streamFrom !== undefined;
  const parents = await lineage(o, fromStream);
  const streamShards = fromStream ? (await listShards(o.kinesis, o.streamName)).map((s) => s.ShardId as string) : [];
  const archiveShards = o.archive ? await o.archive.shards() : [];
  const projection = new WindowProjection({
    ddb: o.ddb,
    tableName: o.freshTable,
    registry: o.registry,
    config: o.config,
    parentsOf: async (shardId) => parents.get(shardId) ?? [],
  });
  const order = parentsFirst([...archiveShards, ...streamShards], parents);
  const progress: RebuildProgress = {
    records: 0,
    shardsDone: 0,
    shards: order.length,
    ...(o.archive ? { archiveRecords: await o.archive.count(o.streamFrom) } : {}),
  };
  const done = (n: number) => {
    progress.records += n;
    o.onProgress?.(progress);
  };
  for (const shardId of order) {
    if (o.archive && archiveShards.includes(shardId)) {
      for await (const batch of o.archive.records(shardId, BATCH, o.streamFrom)) {
        await apply(
          projection,
          shardId,
          batch.map((d) => ({ decoded: d, sequenceNumber: d.sequenceNumber, arrivalMs: d.arrivalMs })),
        );
        done(batch.length);
      }
    }
    if (streamShards.includes(shardId)) {
      for await (const batch of streamRecords(o, shardId, o.archive ? o.streamFrom : undefined)) {
        await apply(projection, shardId, batch);
        done(batch.length);
      }
    }
    progress.shardsDone++;
    done(0);
  }
  return progress.records;
}

async function windowsInRange(
  ddb: DynamoDBClient,
  table: string,
  from: number,
  to: number,
): Promise<Map<string, Record<string, AttributeValue>>> {
  const out = new Map<string, Record<string, AttributeValue>>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'attribute_exists(kind) AND ws >= :from AND ws < :to',
        ExpressionAttributeValues: { ':from': { N: String(from) }, ':to': { N: String(to) } },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) out.set(`${item.pk?.S}|${item.sk?.S}`, item);
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

function content(item: Record<string, AttributeValue> | undefined): string {
  if (!item) return '';
  return JSON.stringify(
    CONTENT.map((name) => {
      const v = item[name];
      return v?.B ? Buffer.from(v.B).toString('base64') : (v?.N ?? v?.S ?? null);
    }),
  );
}

/** See the module comment. */
export async function rebuild(o: RebuildOptions): Promise<RebuildResult> {
  if (o.streamFrom !== undefined && o.archive === undefined) {
    throw new RebuildError(
      'reading the stream from a time needs the archive for what arrived before it (the watermarks and producer marks depend on every earlier record)',
    );
  }
  const records = await replay(o);
  const rebuilt = await windowsInRange(o.ddb, o.freshTable, o.from, o.to);
  const live = await windowsInRange(o.ddb, o.liveTable, o.from, o.to);
  const differing: RebuildResult['differing'] = [];
  for (const key of new Set([...rebuilt.keys(), ...live.keys()])) {
    if (content(rebuilt.get(key)) !== content(live.get(key))) {
      const [pk = '', sk = ''] = key.split('|');
      differing.push({ pk, sk });
    }
  }
  let copied = 0;
  if (o.inPlace) {
    for (const item of rebuilt.values()) {
      await o.ddb.send(new PutItemCommand({ TableName: o.liveTable, Item: item }));
      copied++;
    }
  }
  const finest = Math.min(...o.config.windowSizesMs);
  let events = 0;
  for (const item of rebuilt.values()) {
    if (item.size?.N === String(finest) && (item.kind?.S === 'metric' || item.kind?.S === 'log-service')) {
      events += Number(item.n?.N ?? 0);
    }
  }
  return { records, windows: rebuilt.size, events, differing, copied };
}
