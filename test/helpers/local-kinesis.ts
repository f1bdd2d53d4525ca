/** Starts kinesalite for a test file and gives each test a fresh stream. */
import { randomUUID } from 'node:crypto';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { PutRecordsCommand, type PutRecordsCommandOutput, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll } from 'vitest';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { StreamDecoder, type StreamEvent } from '#core/contract/consumer.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { type LocalServer, startKinesisServer } from '#local/kinesis-server.js';
import { createStream, listShards, readShard } from '#local/streams.js';

/** Registers beforeAll/afterAll hooks; the returned object is filled in before tests run. */
export function useLocalKinesis(): {
  server: LocalServer;
  kinesis: KinesisClient;
  newStream(shards: number): Promise<string>;
} {
  const ctx = {} as { server: LocalServer; kinesis: KinesisClient; newStream(shards: number): Promise<string> };
  beforeAll(async () => {
    // A fresh stream per test: a file of more than 25 two-shard tests passes kinesalite's default 50 shards.
    ctx.server = await startKinesisServer({ shardLimit: 1_000 });
    ctx.kinesis = createKinesisClient({ endpoint: ctx.server.endpoint });
    ctx.newStream = async (shards: number) => {
      const name = `test-${randomUUID().slice(0, 8)}`;
      await createStream(ctx.kinesis, name, shards);
      return name;
    };
  });
  afterAll(async () => {
    ctx.kinesis?.destroy();
    await ctx.server?.stop();
  });
  return ctx;
}

/** Every event in the stream, shard by shard (parents before children), each with its shard id. */
export async function readAll(
  kinesis: KinesisClient,
  streamName: string,
  registry: SchemaRegistry,
): Promise<(StreamEvent & { shardId: string })[]> {
  const decoder = new StreamDecoder(registry);
  const out: (StreamEvent & { shardId: string })[] = [];
  for (const shard of await listShards(kinesis, streamName)) {
    const shardId = shard.ShardId as string;
    for (const r of await readShard(kinesis, streamName, shardId)) {
      for (const e of decoder.events(r)) out.push({ ...e, shardId });
    }
  }
  return out;
}

/**
 * A Kinesis client that makes chosen PutRecords entries fail the way Kinesis
 * does under throttling (kinesalite never throttles). Failed entries are not
 * forwarded; the rest go to the real local server.
 */
export function faultyKinesis(
  real: KinesisClient,
  decide: (call: number, index: number, entry: PutRecordsRequestEntry) => 'ok' | 'throttle' | 'throw',
): Pick<KinesisClient, 'send'> & { calls: number; failedEntries: number } {
  const wrapper = {
    calls: 0,
    failedEntries: 0,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- forwards any command unchanged
    async send(command: any): Promise<any> {
      if (!(command instanceof PutRecordsCommand)) return real.send(command);
      const call = wrapper.calls++;
      const entries = command.input.Records ?? [];
      const verdicts = entries.map((e, i) => decide(call, i, e));
      if (verdicts.includes('throw')) {
        wrapper.failedEntries += entries.length;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      }
      const forwarded = entries.filter((_, i) => verdicts[i] === 'ok');
      const out: PutRecordsCommandOutput | undefined =
        forwarded.length > 0
          ? await real.send(new PutRecordsCommand({ ...command.input, Records: forwarded }))
          : undefined;
      const results = out?.Records ?? [];
      let next = 0;
      return {
        ...(out ?? {}),
        FailedRecordCount: verdicts.filter((v) => v !== 'ok').length,
        Records: verdicts.map((v) => {
          if (v === 'ok') return results[next++];
          wrapper.failedEntries++;
          return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' };
        }),
      };
    },
  };
  return wrapper;
}

/**
 * A Kinesis client whose PutRecords calls land, and then, when `when()` says so,
 * fail with a timeout: the producer cannot know they landed and sends them again
 * (producer duplicates on the stream).
 */
export function timeoutAfterSuccess(real: KinesisClient, when: () => boolean): Pick<KinesisClient, 'send'> {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- forwards any command unchanged
    async send(command: any): Promise<any> {
      const out = await real.send(command);
      if (command instanceof PutRecordsCommand && when()) {
        throw Object.assign(new Error('timed out'), { name: 'TimeoutError' });
      }
      return out;
    },
  };
}
