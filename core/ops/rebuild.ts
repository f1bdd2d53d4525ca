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
 * - both: per shard, the stream from the first record AT_TIMESTAMP a time gives,
 *   the archive before that record, so the newest minutes need not wait for
 *   Firehose (split by position: arrival times need not increase in a shard).
 *
 * Shard lineage (to seed a child from its parents) comes from ListShards and,
 * for shards past the retention, from the parents the live checkpoints recorded.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { listShards, parentShardIds } from '#core/clients/kinesis.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { CheckpointStore } from '#core/projections/checkpoints.js';
import { type BatchRecord, WindowProjection } from '#core/projections/window-projection.js';
import type { WindowingConfig } from '#core/windows/config.js';
import { compareSeq } from '#core/windows/position.js';
import {
  fromAttributes,
  itemCount,
  packMeasures,
  toAttributes,
  unpackMeasures,
} from '#core/projections/window-items.js';
import type { ArchiveReader } from './archive.js';
import { RebuildError } from './errors.js';

/** Attributes that say what a window holds (not how it got there: version, fences, expiry). */
const CONTENT = ['kind', 'name', 'size', 'ws', 'n', 'agg'];

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
   * With an archive: each shard is read from the stream from the first record
   * `AT_TIMESTAMP` this time (epoch ms) gives, and from the archive before that
   * record. Without it, the archive alone.
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

/** What the replay knows of the shards: lineage, which the live table checkpointed, which are closed. */
interface Shards {
  parents: Map<string, string[]>;
  /** Shards the live projection stored a checkpoint for (it processed at least one batch of them). */
  checkpointed: Set<string>;
  /** Shards in the stream, and whether each is closed (has an ending sequence number). */
  inStream: Map<string, { closed: boolean }>;
}

/** Lineage of every shard known to the stream or to the live checkpoints. */
async function knownShards(o: RebuildOptions, needStream: boolean): Promise<Shards> {
  const shards: Shards = { parents: new Map(), checkpointed: new Set(), inStream: new Map() };
  for (const cp of await new CheckpointStore(o.ddb, o.liveTable).all()) {
    shards.parents.set(cp.shardId, cp.parents);
    shards.checkpointed.add(cp.shardId);
  }
  try {
    for (const s of await listShards(o.kinesis, o.streamName)) {
      const id = s.ShardId as string;
      shards.parents.set(id, parentShardIds(s));
      if (needStream) shards.inStream.set(id, { closed: !!s.SequenceNumberRange?.EndingSequenceNumber });
    }
  } catch (error) {
    // An archive alone may outlive its stream.
    if (needStream || (error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  return shards;
}

/** Every ancestor of `shards` too, in an order where each shard comes after its parents. */
function parentsFirst(shards: Iterable<string>, parents: Map<string, string[]>): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id);
    for (const p of parents.get(id) ?? []) visit(p);
    order.push(id);
  };
  for (const id of [...new Set(shards)].sort()) visit(id);
  return order;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The stream records of a shard from a position, `BATCH` at a time: a closed shard
 * to its end (NextShardIterator null), an open one to its tip (an empty page with
 * no lag). An expired iterator is renewed after the last record read.
 */
async function* streamRecords(
  o: RebuildOptions,
  shardId: string,
  closed: boolean,
  at?: number,
): AsyncGenerator<BatchRecord[]> {
  const iteratorAt = async (after?: string) =>
    (
      await o.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: o.streamName,
          ShardId: shardId,
          ...(after !== undefined
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
            : at === undefined
              ? { ShardIteratorType: 'TRIM_HORIZON' }
              : { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(at) }),
        }),
      )
    ).ShardIterator;
  let last: string | undefined;
  let iterator = await iteratorAt();
  while (iterator) {
    let out;
    try {
      out = await o.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: BATCH }));
    } catch (error) {
      if ((error as Error).name !== 'ExpiredIteratorException') throw error;
      iterator = await iteratorAt(last);
      continue;
    }
    const records = out.Records ?? [];
    if (records.length > 0) {
      last = records[records.length - 1]?.SequenceNumber;
      yield records.map((r) => ({
        record: r,
        sequenceNumber: r.SequenceNumber as string,
        arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
      }));
    } else if (!closed && (out.MillisBehindLatest ?? 0) === 0) {
      return; // at the tip of an open shard
    } else {
      await sleep(200); // an empty page before the end: Kinesis may need several
    }
    iterator = out.NextShardIterator;
  }
}

/** Applies one batch, retrying from the record the projection reports failed (attempts count since progress). */
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
    const next = rest.filter((r) => compareSeq(r.sequenceNumber, failedSequenceNumber) >= 0);
    if (next.length < rest.length) attempt = 0; // progress: a fresh set of attempts
    rest = next;
    await sleep(100 * 2 ** Math.max(1, attempt));
  }
}

/** Replays the log (see the module comment) into the fresh table; resolves with the records read. */
async function replay(o: RebuildOptions): Promise<number> {
  const fromStream = o.archive === undefined || o.streamFrom !== undefined;
  const shards = await knownShards(o, fromStream);
  const archiveShards = new Set(o.archive ? await o.archive.shards() : []);
  const projection = new WindowProjection({
    ddb: o.ddb,
    tableName: o.freshTable,
    registry: o.registry,
    config: o.config,
    parentsOf: async (shardId) => shards.parents.get(shardId) ?? [],
  });
  const fresh = new CheckpointStore(o.ddb, o.freshTable);
  const order = parentsFirst([...archiveShards, ...shards.inStream.keys()], shards.parents);
  const progress: RebuildProgress = {
    records: 0,
    shardsDone: 0,
    shards: order.length,
    ...(o.archive ? { archiveRecords: await o.archive.count() } : {}),
  };
  const done = (n: number) => {
    progress.records += n;
    o.onProgress?.(progress);
  };
  for (const shardId of order) {
    const before = progress.records;
    const inStream = shards.inStream.get(shardId);
    const stream = inStream
      ? streamRecords(o, shardId, inStream.closed, o.archive ? o.streamFrom : undefined)
      : undefined;
    if (o.archive && archiveShards.has(shardId)) {
      // The split is by position, not arrival time (arrival times need not increase within
      // a shard): the archive up to the first record the stream gives from the time on.
      const first = stream && o.streamFrom !== undefined ? await stream.next() : undefined;
      const until = first && !first.done ? first.value[0]?.sequenceNumber : undefined;
      for await (const batch of o.archive.records(shardId, BATCH, until)) {
        await apply(
          projection,
          shardId,
          batch.map((d) => ({ decoded: d, sequenceNumber: d.sequenceNumber, arrivalMs: d.arrivalMs })),
        );
        done(batch.length);
      }
      if (first && !first.done) {
        await apply(projection, shardId, first.value);
        done(first.value.length);
      }
    }
    if (stream) {
      for await (const batch of stream) {
        await apply(projection, shardId, batch);
        done(batch.length);
      }
    }
    if (progress.records === before && shards.checkpointed.has(shardId) && !(await fresh.get(shardId))) {
      // Live, this shard held only records that left no trace in the log read here (poison,
      // or what Firehose could not transform), but its checkpoint carried its parents' clock
      // and marks to its children: store the same seed.
      await fresh.put(await fresh.seed(shardId, shards.parents.get(shardId) ?? []), 0);
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

/**
 * What an item holds, comparable as a string. Without `hostLevels`, a host item's log
 * counts (written while `logCountsByHost` was on) are left out: not the rebuild's to judge.
 */
function content(item: Record<string, AttributeValue> | undefined, hostLevels: boolean): string {
  if (!item) return '';
  if (!hostLevels && item.kind?.S === 'host') {
    const parsed = fromAttributes(item);
    if (parsed.levels.size > 0) {
      parsed.levels.clear();
      if (parsed.metrics.size === 0) return '';
      item = toAttributes(parsed, 0);
    }
  }
  // The measures are compared as contents (packed plain, canonical), not as the deflated
  // bytes: another zlib (the Lambda's Node, the laptop's) may deflate the same bytes otherwise.
  const agg = item.agg?.B;
  const measures = agg
    ? packMeasures({ key: fromAttributes(item).key, ...unpackMeasures(agg, Number(item.ws?.N)) }, { deflate: false })
    : undefined;
  return JSON.stringify(
    CONTENT.map((name) => {
      if (name === 'agg') return measures?.toString('base64') ?? null;
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
    const hostLevels = o.config.logCountsByHost;
    if (content(rebuilt.get(key), hostLevels) !== content(live.get(key), hostLevels)) {
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
  for (const attrs of rebuilt.values()) {
    if (attrs.size?.N !== String(finest)) continue;
    // metric samples of host items, log counts of service items (a host's log counts count those again)
    const item = fromAttributes(attrs);
    if (item.key.kind === 'service') events += itemCount(item);
    else for (const m of item.metrics.values()) events += m.samples;
  }
  return { records, windows: rebuilt.size, events, differing, copied };
}
