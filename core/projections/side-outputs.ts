/**
 * Side outputs of the hot path, keyed by stream position so a redelivery
 * overwrites instead of counting twice: quarantined records (raw bytes, shard,
 * sequence number, reason) and late events (raw bytes, the window they missed).
 */
import { type AttributeValue, BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isServiceError, queryAll } from '#core/clients/dynamodb.js';
import type { SideOutputEvent } from '#core/windows/fold.js';
import { positionSortKey } from '#core/windows/position.js';

/** Largest byte chunk per quarantine item (DynamoDB items are limited to 400 KB). */
const CHUNK = 350_000;

/**
 * Partition keys a shard's quarantine is spread over: a flood of poison records writes
 * to eight partitions, not one (one partition takes 1,000 write units a second).
 */
export const QUARANTINE_PARTITIONS = 8;

/** The quarantine partition of a record's position (FNV-1a of `seq:sub`: every part of a record in one). */
export function quarantinePartition(sequenceNumber: string, subSequenceNumber: number): number {
  let h = 0x811c9dc5;
  for (const c of `${sequenceNumber}:${subSequenceNumber}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h % QUARANTINE_PARTITIONS;
}

/** What a side-output write could not store after its retries. */
export interface SideOutputFailure {
  sequenceNumber: string;
}

/** Writes and reads quarantine and late-event items. */
export class SideOutputStore {
  constructor(
    private readonly ddb: Pick<DynamoDBClient, 'send'>,
    private readonly tableName: string,
    private readonly ttlDays: number,
  ) {}

  private quarantineItems(shardId: string, e: SideOutputEvent): Record<string, AttributeValue>[] {
    const parts = Math.max(1, Math.ceil(e.data.length / CHUNK));
    const partition = quarantinePartition(e.sequenceNumber, e.subSequenceNumber);
    // Kept as long as the windows (the stream and the lake keep their own copies for their retention).
    const expires = Math.floor(Date.now() / 1000) + this.ttlDays * 86_400;
    return Array.from({ length: parts }, (_, i) => ({
      pk: { S: `QUARANTINE#${shardId}#${partition}` },
      sk: { S: `${positionSortKey(e.sequenceNumber, e.subSequenceNumber)}#${String(i).padStart(3, '0')}` },
      shard: { S: shardId },
      seq: { S: e.sequenceNumber },
      sub: { N: String(e.subSequenceNumber) },
      partitionKey: { S: e.partitionKey },
      code: { S: e.code },
      reason: { S: e.reason },
      part: { N: String(i) },
      parts: { N: String(parts) },
      bytes: { B: e.data.subarray(i * CHUNK, (i + 1) * CHUNK) },
      ttl: { N: String(expires) },
    }));
  }

  private lateItem(shardId: string, e: SideOutputEvent): Record<string, AttributeValue> {
    const expires = Math.floor(Date.now() / 1000) + this.ttlDays * 86_400;
    return {
      pk: { S: `LATE#${shardId}` },
      sk: { S: `${e.windowSizeMs}#${positionSortKey(e.sequenceNumber, e.subSequenceNumber)}` },
      shard: { S: shardId },
      seq: { S: e.sequenceNumber },
      sub: { N: String(e.subSequenceNumber) },
      size: { N: String(e.windowSizeMs) },
      occurredAt: { N: String(e.occurredAt) },
      type: { S: e.eventType ?? '' },
      reason: { S: e.reason },
      // A late event over the item limit keeps its position only: its bytes are in the stream and the lake.
      ...(e.data.length <= CHUNK ? { bytes: { B: e.data } } : { bytesOmitted: { N: String(e.data.length) } }),
      ttl: { N: String(expires) },
    };
  }

  /**
   * Stores side outputs (BatchWriteItem, unprocessed items retried).
   * @returns the sequence numbers of records whose outputs could not be stored
   */
  async write(shardId: string, quarantined: SideOutputEvent[], late: SideOutputEvent[]): Promise<SideOutputFailure[]> {
    const items: { seq: string; item: Record<string, AttributeValue> }[] = [];
    for (const q of quarantined)
      for (const item of this.quarantineItems(shardId, q)) items.push({ seq: q.sequenceNumber, item });
    for (const l of late) items.push({ seq: l.sequenceNumber, item: this.lateItem(shardId, l) });
    const failures: SideOutputFailure[] = [];
    // Quarantine parts can be 350 KB: batch by size (16 MB per call) as well as by count (25).
    let batch: typeof items = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      failures.push(...(await this.writeBatch(batch)));
      batch = [];
      bytes = 0;
    };
    for (const it of items) {
      const size = it.item.bytes?.B?.length ?? 0;
      if (batch.length === 25 || bytes + size > 12_000_000) await flush();
      batch.push(it);
      bytes += size;
    }
    await flush();
    return failures;
  }

  private async writeBatch(
    batch: { seq: string; item: Record<string, AttributeValue> }[],
  ): Promise<SideOutputFailure[]> {
    let pending = batch;
    for (let attempt = 0; attempt < 5 && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      try {
        const out = await this.ddb.send(
          new BatchWriteItemCommand({
            RequestItems: { [this.tableName]: pending.map((p) => ({ PutRequest: { Item: p.item } })) },
          }),
        );
        const left = out.UnprocessedItems?.[this.tableName] ?? [];
        const leftKeys = new Set(left.map((w) => `${w.PutRequest?.Item?.pk?.S}|${w.PutRequest?.Item?.sk?.S}`));
        pending = pending.filter((p) => leftKeys.has(`${p.item.pk?.S}|${p.item.sk?.S}`));
      } catch (error) {
        if (!isServiceError(error)) throw error;
      }
    }
    return pending.map((p) => ({ sequenceNumber: p.seq }));
  }

  /** Quarantined records of a shard (parts joined), oldest first (every partition of the shard read). */
  async quarantined(
    shardId: string,
  ): Promise<{ sequenceNumber: string; subSequenceNumber: number; code: string; reason: string; bytes: Buffer }[]> {
    const rows = (
      await Promise.all(
        Array.from({ length: QUARANTINE_PARTITIONS }, (_, p) => this.queryAll(`QUARANTINE#${shardId}#${p}`)),
      )
    )
      .flat()
      .sort((a, b) => ((a.sk?.S ?? '') < (b.sk?.S ?? '') ? -1 : 1));
    const byPos = new Map<
      string,
      { sequenceNumber: string; subSequenceNumber: number; code: string; reason: string; parts: Buffer[] }
    >();
    for (const r of rows) {
      const key = `${r.seq?.S}:${r.sub?.N}`;
      let q = byPos.get(key);
      if (!q) {
        q = {
          sequenceNumber: r.seq?.S ?? '',
          subSequenceNumber: Number(r.sub?.N),
          code: r.code?.S ?? '',
          reason: r.reason?.S ?? '',
          parts: [],
        };
        byPos.set(key, q);
      }
      q.parts[Number(r.part?.N)] = Buffer.from(r.bytes?.B ?? new Uint8Array());
    }
    return [...byPos.values()].map(({ parts, ...q }) => ({ ...q, bytes: Buffer.concat(parts) }));
  }

  /** Late events of a shard for one window size. */
  async late(
    shardId: string,
    sizeMs: number,
  ): Promise<{ sequenceNumber: string; subSequenceNumber: number; occurredAt: number; bytes: Buffer }[]> {
    const rows = await this.queryAll(`LATE#${shardId}`, `${sizeMs}#`);
    return rows.map((r) => ({
      sequenceNumber: r.seq?.S ?? '',
      subSequenceNumber: Number(r.sub?.N),
      occurredAt: Number(r.occurredAt?.N),
      bytes: Buffer.from(r.bytes?.B ?? new Uint8Array()),
    }));
  }

  private queryAll(pk: string, skPrefix?: string): Promise<Record<string, AttributeValue>[]> {
    return queryAll(this.ddb, {
      TableName: this.tableName,
      KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk }, ...(skPrefix ? { ':p': { S: skPrefix } } : {}) },
      ConsistentRead: true,
    });
  }
}
