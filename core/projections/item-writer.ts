/**
 * Writes window items with the position fences: one conditional put per item, never a
 * read first (a cache miss writes the item as new and learns the stored one from the
 * failed condition), with a warm cache of recently written items. The projection decides
 * what an item absorbs; this module stores it exactly once.
 */
import { type AttributeValue, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { isServiceError } from '#core/clients/dynamodb.js';
import { writeUnitsOf } from '#core/cost/item-size.js';
import { cloneAggregate } from '#core/windows/aggregates.js';
import { type Contribution, type EventTable, itemId, type WindowItemKey } from '#core/windows/fold.js';
import { comparePosition, formatPosition, parsePosition } from '#core/windows/position.js';
import { CorruptItemError } from './errors.js';
import { mergePartial, type PartialItem } from './held-state.js';
import { windowItemKey } from './table.js';
import { addEvent, emptyItem, fromAttributes, toAttributes, type WindowItem } from './window-items.js';

/** What the writes add to a batch's counters. */
export interface WriteCounters {
  windowsWritten: number;
  writeRetries: number;
  /** Write units of the writes (failed conditions included: DynamoDB bills them). */
  writeUnits: number;
}

/** Settings and clients of a {@link WindowItemWriter}. */
export interface WindowItemWriterOptions {
  ddb: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  ttlDays: number;
  writeConcurrency: number;
  maxConditionalAttempts: number;
  cacheSize: number;
  onWritten?: ((key: WindowItemKey) => void) | undefined;
}

/** A stream position, as a fence holds it. */
type Fence = { seq: string; sub: number };

/** Recently written items by id; the least recently used goes first past the limit. */
class ItemCache {
  private readonly map = new Map<string, WindowItem>();
  constructor(private readonly limit: number) {}
  get(id: string): WindowItem | undefined {
    return this.map.get(id);
  }
  set(id: string, item: WindowItem): void {
    this.map.delete(id);
    this.map.set(id, item);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as string);
  }
  delete(id: string): void {
    this.map.delete(id);
  }
  clear(): void {
    this.map.clear();
  }
}

/** See the module comment. */
export class WindowItemWriter {
  private readonly cache: ItemCache;

  constructor(private readonly o: WindowItemWriterOptions) {
    this.cache = new ItemCache(o.cacheSize);
  }

  /** Runs `work` over `items` with the configured write concurrency; rethrows the first crash. */
  async each<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let crash: unknown;
    let next = 0;
    const worker = async () => {
      while (next < items.length && crash === undefined) {
        const item = items[next++] as T;
        try {
          await work(item);
        } catch (error) {
          crash ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.writeConcurrency, items.length) }, worker));
    if (crash !== undefined) {
      this.cache.clear();
      throw crash;
    }
  }

  /**
   * Applies what `absorb` adds to an item with one conditional write (retried on conflict).
   * `absorb` gets a copy of the item and this shard's fence on it, adds what lies above the
   * fence, and returns the new fence (undefined: nothing to add).
   */
  async write(
    shardId: string,
    key: WindowItemKey,
    absorb: (item: WindowItem, fence: Fence | undefined) => string | undefined,
    counters: WriteCounters,
  ): Promise<'ok' | 'failed'> {
    const id = itemId(key);
    let current = this.cache.get(id) ?? null; // null: unknown; try as new and learn on conflict
    for (let attempt = 0; attempt < this.o.maxConditionalAttempts; attempt++) {
      // The cached item stays as stored until the write succeeds, so only it needs copying.
      const next = current ? cloneItem(current) : emptyItem(key);
      const fence = next.fences.get(shardId);
      const fenceTo = absorb(next, fence ? parsePosition(fence) : undefined);
      if (fenceTo === undefined) {
        if (current) this.cache.set(id, current);
        return 'ok';
      }
      next.fences.set(shardId, fenceTo);
      const baseVersion = current?.version ?? 0;
      next.version = baseVersion + 1;
      const ttl = Math.floor((key.start + key.size) / 1000) + this.o.ttlDays * 86_400;
      const Item = toAttributes(next, ttl);
      const units = writeUnitsOf(Item);
      counters.writeUnits += units;
      try {
        await this.o.ddb.send(
          new PutItemCommand({
            TableName: this.o.tableName,
            Item,
            ConditionExpression: baseVersion === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
            ...(baseVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(baseVersion) } } }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.cache.set(id, next);
        counters.windowsWritten++;
        this.o.onWritten?.(key);
        return 'ok';
      } catch (error) {
        if (!isServiceError(error)) throw error;
        if ((error as Error).name !== 'ConditionalCheckFailedException') {
          // Throttled or failing after the SDK's own retries: report, Lambda retries from here.
          counters.writeUnits -= units; // a rejected request is not billed
          this.cache.delete(id);
          return 'failed';
        }
        counters.writeRetries++;
        const old = (error as { Item?: Record<string, AttributeValue> }).Item;
        try {
          current = old ? fromAttributes(old) : await this.read(key);
        } catch (readError) {
          if (!isServiceError(readError)) throw readError;
          this.cache.delete(id);
          return 'failed';
        }
      }
    }
    this.cache.delete(id);
    return 'failed';
  }

  private async read(key: WindowItemKey): Promise<WindowItem | null> {
    const k = windowItemKey(key);
    const out = await this.o.ddb.send(
      new GetItemCommand({
        TableName: this.o.tableName,
        Key: { pk: { S: k.pk }, sk: { S: k.sk } },
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromAttributes(out.Item) : null;
  }

  /** Forgets the warm items (a new process, or another invocation moved the shard). */
  reset(): void {
    this.cache.clear();
  }
}

/** Adds a contribution's events above the fence to an item; returns the new fence, or undefined. */
export function absorbEvents(
  item: WindowItem,
  c: Contribution,
  table: EventTable,
  f: Fence | undefined,
): string | undefined {
  let last: number | undefined;
  for (const i of c.events) {
    const seq = table.seqs[i] as string;
    const sub = table.subs[i] as number;
    if (f && comparePosition(seq, sub, f.seq, f.sub) <= 0) continue;
    addEvent(
      item,
      table.logs[i] as boolean,
      table.measures[i] as string,
      table.values[i] as number,
      table.ats[i] as number,
      table.histograms[i] ?? null,
    );
    last = i;
  }
  return last === undefined ? undefined : formatPosition(table.seqs[last] as string, table.subs[last] as number);
}

/**
 * Adds a held partial to an item unless the fence shows it is there already. A partial
 * covers one shard's positions `(first … last]` after the checkpoint it started from, so
 * the fence is either below all of it or at its end; anything else means two processes
 * held the same records.
 */
export function absorbPartial(item: WindowItem, p: PartialItem, f: Fence | undefined): string | undefined {
  if (f) {
    const last = parsePosition(p.last);
    if (comparePosition(f.seq, f.sub, last.seq, last.sub) >= 0) return undefined;
    const first = parsePosition(p.first);
    if (comparePosition(f.seq, f.sub, first.seq, first.sub) >= 0) {
      throw new CorruptItemError(
        `window ${itemId(p.key)} holds this shard's events up to ${formatPosition(f.seq, f.sub)}, inside the held range ${p.first}…${p.last}: two invocations processed the same records`,
      );
    }
  }
  mergePartial(item, p);
  return p.last;
}

function cloneItem(item: WindowItem): WindowItem {
  const metrics = new Map([...item.metrics].map(([name, m]) => [name, cloneAggregate(m)]));
  return { key: item.key, version: item.version, fences: new Map(item.fences), metrics, levels: new Map(item.levels) };
}
