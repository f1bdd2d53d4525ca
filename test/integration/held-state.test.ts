/**
 * Held window state against DynamoDB Local, one invocation at a time, as Lambda
 * drives it after failures: what a failed flush wrote must never leave a fence inside
 * a range a later state holds, whatever Lambda retries or bisects.
 */
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '#core/contract/consumer.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { decodeHeldState, encodeHeldState, type HeldState, heldStateBytes } from '#core/projections/held-state.js';
import { type BatchRecord, WindowProjection } from '#core/projections/window-projection.js';
import { windowingConfig } from '#core/windows/config.js';
import { storedWindows } from '#test/helpers/hot-path-harness.js';
import { useLocalDynamo } from '#test/helpers/local-dynamo.js';

const registry = SchemaRegistry.load();
const dynamo = useLocalDynamo();
const config = windowingConfig();
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
const SHARD = 'shardId-000000000000';

/** A record at position `n` of one cpu sample per host (already decoded, as an archive replay gives them). */
function record(n: number, ...hosts: string[]): BatchRecord {
  const seq = String(49_650_000_000_000n * 10n ** 42n + BigInt(n));
  const events = hosts.map((host, sub) => ({
    type: 'MetricSample',
    subSequenceNumber: sub,
    partitionKey: host,
    event: { producer_id: host, producer_seq: n, occurred_at: T + 500, host, metric: 'cpu_utilization', value: n },
  }));
  return {
    sequenceNumber: seq,
    arrivalMs: T + 1_000,
    decoded: {
      sequenceNumber: seq,
      partitionKey: hosts[0] as string,
      arrivalMs: T + 1_000,
      events: events as unknown as StreamEvent[],
      poison: [],
      rawOf: () => Buffer.alloc(0),
    },
  };
}

/** DynamoDB Local, with the writes of one host's items throttled while `throttled` names it. */
function throttling(real: DynamoDBClient): Pick<DynamoDBClient, 'send'> & { throttled?: string } {
  const client: Pick<DynamoDBClient, 'send'> & { throttled?: string } = {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- forwards any command unchanged
    send: async (command: any): Promise<any> => {
      if (command instanceof PutItemCommand && client.throttled && command.input.Item?.name?.S === client.throttled) {
        throw Object.assign(new Error('Throughput exceeds the current capacity'), {
          name: 'ProvisionedThroughputExceededException',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return real.send(command);
    },
  };
  return client;
}

/** The state as Lambda stores it and hands it back (encoded, decoded). */
const stored = (h: HeldState | undefined) => (h ? decodeHeldState(encodeHeldState(h)) : undefined);
const sizeOf = (h: HeldState) => heldStateBytes(encodeHeldState(h));

describe('held window state after failed flushes', () => {
  it('a batch that outgrows the budget is cut, not flushed mixed: a throttled attempt and its bisected retry still count every event once', async () => {
    // Prepare: a state holding host a, under nine tenths of the budget; r2 fits beside it, r3 (six hosts) does not
    const table = await dynamo.newTable();
    const ddb = throttling(dynamo.ddb);
    const projection = new WindowProjection({ ddb, tableName: table, registry, config });
    const six = ['host-b', 'host-d', 'host-e', 'host-f', 'host-g', 'host-h'];
    const [r1, r2, r3, r4] = [record(1, 'host-a'), record(2, 'host-c'), record(3, ...six), record(4, 'host-a')];
    const s0 = (await projection.processHeld(SHARD, [r1], undefined, { flush: false, budgetBytes: 1e9, sizeOf })).held;
    const budget = Math.ceil(sizeOf(s0 as HeldState) / 0.7);

    // Act: [r2, r3] with host b throttled, then Lambda's bisected retry [r2] with the same state, then the rest
    ddb.throttled = 'host-b';
    const first = await projection.processHeld(SHARD, [r2, r3], stored(s0), {
      flush: false,
      budgetBytes: budget,
      sizeOf,
    });
    ddb.throttled = undefined;
    projection.reset(); // a new process
    const retry = await projection.processHeld(SHARD, [r2], stored(s0), { flush: false, budgetBytes: budget, sizeOf });
    const s3 = await projection.processHeld(SHARD, [r3], stored(retry.held), {
      flush: false,
      budgetBytes: 1e9,
      sizeOf,
    });
    const s4 = await projection.processHeld(SHARD, [r4], stored(s3.held), { flush: false, budgetBytes: 1e9, sizeOf });
    const final = await projection.processHeld(SHARD, [], stored(s4.held), { flush: true, budgetBytes: 1e9, sizeOf });

    // Assess: the first attempt kept r2 and cut the batch at r3, writing nothing; every event counted once
    expect(first.failedSequenceNumber).toBe(r3.sequenceNumber);
    expect(first.counters.windowsWritten).toBe(0);
    expect(final.held).toBeUndefined();
    const windows = await storedWindows(dynamo.ddb, table, config.windowSizesMs);
    expect(windows.get(`metric|cpu_utilization|host-a|60000|${T}`)?.count).toBe(2);
    for (const host of ['host-c', ...six])
      expect(windows.get(`metric|cpu_utilization|${host}|60000|${T}`)?.count).toBe(1);
    expect(windows.size).toBe(8 * 2); // each host's minute and hour
  });

  it('a state handed in past nine tenths of the budget is written on its own first, the same on every retry', async () => {
    // Prepare: a state of two hosts; a budget it fills past nine tenths
    const table = await dynamo.newTable();
    const ddb = throttling(dynamo.ddb);
    const projection = new WindowProjection({ ddb, tableName: table, registry, config });
    const s0 = (
      await projection.processHeld(SHARD, [record(1, 'host-a'), record(2, 'host-b')], undefined, {
        flush: false,
        budgetBytes: 1e9,
        sizeOf,
      })
    ).held as HeldState;
    const budget = Math.ceil(sizeOf(s0) / 0.95);

    // Act: its flush throttled for host b (the invocation fails), then retried as Lambda would, then bisected
    ddb.throttled = 'host-b';
    const failed = await projection
      .processHeld(SHARD, [record(3, 'host-a')], stored(s0), { flush: false, budgetBytes: budget, sizeOf })
      .catch((e: Error) => e);
    ddb.throttled = undefined;
    projection.reset();
    const retried = await projection.processHeld(SHARD, [record(3, 'host-a')], stored(s0), {
      flush: false,
      budgetBytes: budget,
      sizeOf,
    });
    const final = await projection.processHeld(SHARD, [], stored(retried.held), {
      flush: true,
      budgetBytes: 1e9,
      sizeOf,
    });

    // Assess
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).name).toBe('FlushError');
    expect(retried.counters.windowsWritten).toBe(1); // host b; host a was written by the failed attempt
    expect(final.held).toBeUndefined();
    const windows = await storedWindows(dynamo.ddb, table, config.windowSizesMs);
    expect(windows.get(`metric|cpu_utilization|host-a|60000|${T}`)?.count).toBe(2);
    expect(windows.get(`metric|cpu_utilization|host-b|60000|${T}`)?.count).toBe(1);
  });
});
