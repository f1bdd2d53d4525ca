/**
 * An in-memory stand-in for the DynamoDB calls the hot path makes (PutItem with its
 * two conditions, GetItem, BatchWriteItem), which stores items and answers reads with
 * them, and counts what DynamoDB would bill: write units per started KB of the larger
 * of the old and new item (as PutItem is billed, failed conditions included), read
 * units per started 4 KB of a strongly consistent read (at least one, found or not).
 * For benches: it measures the real projection's requests, not DynamoDB's latency.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { itemSizeBytes } from '#core/cost/item-size.js';

/** What the stand-in counted. */
export interface DynamoCounts {
  windowWrites: number;
  windowWriteUnits: number;
  checkpointWrites: number;
  checkpointWriteUnits: number;
  sideOutputWrites: number;
  sideOutputWriteUnits: number;
  conditionFailures: number;
  reads: number;
  readUnits: number;
}

const units = (bytes: number, per: number) => Math.max(1, Math.ceil(bytes / per));

/** See the module comment. */
export class MemoryDynamo {
  readonly items = new Map<string, Record<string, AttributeValue>>();
  readonly counts: DynamoCounts = MemoryDynamo.zero();

  static zero(): DynamoCounts {
    return {
      windowWrites: 0,
      windowWriteUnits: 0,
      checkpointWrites: 0,
      checkpointWriteUnits: 0,
      sideOutputWrites: 0,
      sideOutputWriteUnits: 0,
      conditionFailures: 0,
      reads: 0,
      readUnits: 0,
    };
  }

  private static key(item: Record<string, AttributeValue> | undefined): string {
    return `${item?.pk?.S}\u0000${item?.sk?.S}`;
  }

  /** The client interface the projection takes. */
  async send(command: unknown): Promise<unknown> {
    if (command instanceof PutItemCommand) return this.put(command);
    if (command instanceof GetItemCommand) {
      const item = this.items.get(MemoryDynamo.key(command.input.Key));
      this.counts.reads++;
      this.counts.readUnits += units(item ? itemSizeBytes(item) : 0, 4_096);
      return item ? { Item: item } : {};
    }
    if (command instanceof BatchWriteItemCommand) {
      for (const writes of Object.values(command.input.RequestItems ?? {})) {
        for (const w of writes) {
          const item = w.PutRequest?.Item;
          if (!item) continue;
          this.counts.sideOutputWrites++;
          this.counts.sideOutputWriteUnits += units(itemSizeBytes(item), 1_024);
          this.items.set(MemoryDynamo.key(item), item);
        }
      }
      return { UnprocessedItems: {} };
    }
    throw new Error(`MemoryDynamo does not answer ${(command as object).constructor.name}`);
  }

  private put(command: PutItemCommand): unknown {
    const item = command.input.Item as Record<string, AttributeValue>;
    const key = MemoryDynamo.key(item);
    const old = this.items.get(key);
    const billed = units(Math.max(itemSizeBytes(item), old ? itemSizeBytes(old) : 0), 1_024);
    const checkpoint = item.pk?.S === 'CHECKPOINT';
    if (checkpoint) {
      this.counts.checkpointWrites++;
      this.counts.checkpointWriteUnits += billed;
    } else {
      this.counts.windowWrites++;
      this.counts.windowWriteUnits += billed;
    }
    const condition = command.input.ConditionExpression;
    const ok =
      condition === undefined ||
      (condition === 'attribute_not_exists(pk)' && !old) ||
      (condition === 'v = :v' && old?.v?.N === command.input.ExpressionAttributeValues?.[':v']?.N);
    if (!ok) {
      this.counts.conditionFailures++;
      throw Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
        $metadata: { httpStatusCode: 400 },
        ...(command.input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old ? { Item: old } : {}),
      });
    }
    this.items.set(key, item);
    return {};
  }
}
