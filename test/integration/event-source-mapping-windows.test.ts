/**
 * The local event source mapping's tumbling windows (Lambda's stateful Kinesis processing),
 * against kinesalite. Kinesalite stamps records with its real clock (in this process), so
 * the tests put records clear of a window's edge, or across one on purpose.
 */
import { GetRecordsCommand, PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { KinesisEventSourceMapping } from '#local/event-source-mapping.js';
import { MemoryDestination } from '#test/helpers/memory-destination.js';
import {
  type BatchResponse,
  type KinesisFunction,
  type LambdaKinesisEvent,
  type LambdaKinesisWindowEvent,
  type WindowBatchResponse,
} from '#core/lambda/events.js';
import { waitActive } from '#local/streams.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';

const local = useLocalKinesis();

const SHARD = 'shardId-000000000000';

/** Puts 'r{from}'…'r{from+n-1}' in one PutRecords call, on one partition key (one shard, in order). */
async function putRecords(stream: string, n: number, from = 0, key = 'server-001'): Promise<void> {
  const Records = Array.from({ length: n }, (_, i) => ({ PartitionKey: key, Data: Buffer.from(`r${from + i}`) }));
  await local.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records }));
}

/** 'r{from}'…'r{to}'. */
const r = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `r${from + i}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits, when the clock is within `marginMs` of the end of its `seconds` window, until the next one began. */
async function clearOfWindowEnd(seconds: number, marginMs: number): Promise<void> {
  const size = seconds * 1000;
  const left = size - (Date.now() % size);
  if (left < marginMs) await sleep(left + 20);
}

/** Waits until the clock is in its next `seconds` window. */
async function nextWindow(seconds: number): Promise<void> {
  const size = seconds * 1000;
  await sleep(size - (Date.now() % size) + 20);
}

/** Waits until `condition()` holds (checked every 10 ms, for at most 20 s). */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 20_000) throw new Error(`never happened: ${what}`);
    await sleep(10);
  }
}

const payloads = (e: LambdaKinesisEvent) => e.Records.map((x) => Buffer.from(x.kinesis.data, 'base64').toString());

/** The records a state has counted (the tests' functions keep them in `seen`). */
const seenOf = (state: Record<string, unknown>) => (state.seen ?? []) as string[];

/** One invocation as the function received it. */
interface Call {
  shardId: string;
  eventSourceARN: string;
  records: string[];
  /** `state.seen` as received (copied before the function runs). */
  seen: string[];
  /** Length of `state.big` as received (0 without it). */
  big: number;
  final: boolean;
  early: boolean;
  window: { start: string; end: string };
  /** Arrival times (ms) of the records. */
  arrivals: number[];
}

type Answer = (e: LambdaKinesisWindowEvent, call: number) => Promise<WindowBatchResponse | BatchResponse | void>;

/** The usual aggregation: the state counts every record it sees in `seen`. */
const count: Answer = async (e) => ({ state: { seen: [...seenOf(e.state), ...payloads(e)] }, batchItemFailures: [] });

/** A function that records every invocation, then answers with `answer`. */
function recording(answer: Answer = count): { calls: Call[]; fn: KinesisFunction } {
  const calls: Call[] = [];
  const fn: KinesisFunction = async (event) => {
    const e = event as LambdaKinesisWindowEvent;
    calls.push({
      shardId: e.shardId,
      eventSourceARN: e.eventSourceARN,
      records: payloads(e),
      seen: [...seenOf(e.state)],
      big: typeof e.state.big === 'string' ? e.state.big.length : 0,
      final: e.isFinalInvokeForWindow,
      early: e.isWindowTerminatedEarly,
      window: e.window,
      arrivals: e.Records.map((x) => x.kinesis.approximateArrivalTimestamp * 1000),
    });
    return answer(e, calls.length - 1);
  };
  return { calls, fn };
}

/** The window [start, end) of `seconds` that holds `arrival` (ms), as ISO strings. */
function windowOf(arrival: number, seconds: number): { start: string; end: string } {
  const start = Math.floor(arrival / (seconds * 1000)) * seconds * 1000;
  return { start: new Date(start).toISOString(), end: new Date(start + seconds * 1000).toISOString() };
}

describe('local event source mapping: tumbling windows', () => {
  it('without tumblingWindowSeconds sends Records alone, and accepts only whole seconds 0–900', async () => {
    // Prepare
    const stream = await local.newStream(1);
    await putRecords(stream, 3);
    const events: object[] = [];
    const options = { kinesis: local.kinesis, streamName: stream, onFailure: new MemoryDestination() };
    // Act
    const stats = await new KinesisEventSourceMapping({
      ...options,
      fn: async (e) => {
        events.push(e);
      },
    }).drain();
    // Assess
    expect(events.map((e) => Object.keys(e))).toEqual([['Records']]);
    expect(stats).toMatchObject({ finalInvocations: 0, windowsTerminatedEarly: 0 });
    for (const bad of [-1, 901, 1.5]) {
      expect(
        () => new KinesisEventSourceMapping({ ...options, fn: async () => {}, tumblingWindowSeconds: bad }),
      ).toThrow(`tumblingWindowSeconds must be an integer 0–900, got ${bad}`);
    }
  });

  it('passes the state from invocation to invocation; drain() ends the caught-up window with one final invocation that has no records and the total; the next window starts with {}', async () => {
    // Prepare: 12 records in one 15-minute window, 5 a batch
    const stream = await local.newStream(1);
    await clearOfWindowEnd(900, 15_000);
    await putRecords(stream, 12);
    const { calls, fn } = recording();
    const mapping = new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 5,
      tumblingWindowSeconds: 900,
      fn,
    });

    // Act
    const first = { ...(await mapping.drain()) };
    await putRecords(stream, 3, 12);
    const second = await mapping.drain();

    // Assess: each invocation gets what the one before returned; the final one comes once,
    // after the window's records, with none of its own
    expect(calls).toMatchObject([
      { records: r(0, 4), seen: [], final: false, early: false },
      { records: r(5, 9), seen: r(0, 4), final: false, early: false },
      { records: r(10, 11), seen: r(0, 9), final: false, early: false },
      { records: [], seen: r(0, 11), final: true, early: false },
      // after the final invocation: a new window, with a fresh state
      { records: r(12, 14), seen: [], final: false, early: false },
      { records: [], seen: r(12, 14), final: true, early: false },
    ]);
    const window = windowOf(calls[0]?.arrivals[0] as number, 900);
    for (const call of calls) {
      expect(call).toMatchObject({
        shardId: SHARD,
        eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
        window,
      });
    }
    expect(first).toMatchObject({ finalInvocations: 1, invocations: 4, recordsDelivered: 12 });
    expect(second).toMatchObject({ finalInvocations: 2, invocations: 6, windowsTerminatedEarly: 0 });
  });

  it("ends a window at the first record that arrived at or after its end: that record's batch holds only the next window's records, after the final invocation", async () => {
    // Prepare: 1-second windows; r0–r2 early in one second, r3–r4 in the next
    const stream = await local.newStream(1);
    await clearOfWindowEnd(1, 500);
    await putRecords(stream, 3);
    await nextWindow(1);
    await putRecords(stream, 2, 3);
    const { calls, fn } = recording();
    // Act
    await new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 100,
      tumblingWindowSeconds: 1,
      fn,
    }).drain();
    // Assess: the batch size had room for all five, but a batch never mixes windows
    const first = windowOf(calls[0]?.arrivals[0] as number, 1);
    const second = windowOf(calls[2]?.arrivals[0] as number, 1);
    expect(second.start).toBe(first.end);
    expect(calls).toMatchObject([
      { records: r(0, 2), seen: [], final: false, window: first },
      { records: [], seen: r(0, 2), final: true, window: first },
      { records: r(3, 4), seen: [], final: false, window: second },
      { records: [], seen: r(3, 4), final: true, window: second },
    ]);
  });

  it('run() ends a caught-up window once now() reaches its end, not before', async () => {
    // Prepare: a pinned clock; GetRecords counted
    const stream = await local.newStream(1);
    await clearOfWindowEnd(900, 15_000);
    await putRecords(stream, 4);
    let clock = Date.now();
    let reads = 0;
    const kinesis = {
      send: async (command: Parameters<typeof local.kinesis.send>[0]) => {
        if (command instanceof GetRecordsCommand) reads++;
        return local.kinesis.send(command);
      },
    } as typeof local.kinesis;
    const { calls, fn } = recording();
    const mapping = new KinesisEventSourceMapping({
      kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      pollIntervalMs: 20,
      tumblingWindowSeconds: 900,
      now: () => clock,
      fn,
    });

    // Act: run until the records are delivered and the caught-up shard was read 3 more times;
    // then move the clock to the window's end
    const running = mapping.run();
    await eventually(() => calls.length === 1, 'the records delivered');
    const readsThen = reads;
    await eventually(() => reads >= readsThen + 3, 'three more reads');
    const beforeTheEnd = calls.length;
    clock = Date.parse(calls[0]?.window.end as string);
    await eventually(() => calls.length === 2, 'the final invocation');
    mapping.stop();
    await running;

    // Assess
    expect(beforeTheEnd).toBe(1);
    expect(calls).toMatchObject([
      { records: r(0, 3), seen: [], final: false },
      { records: [], seen: r(0, 3), final: true, early: false },
    ]);
    expect(mapping.stats.finalInvocations).toBe(1);
  });

  it('ends a window early when its state passes 1 MB: a final invocation with that state, then the same window goes on with {}', async () => {
    // Prepare: the batch with r2 makes the state 1 MB and more
    const stream = await local.newStream(1);
    await clearOfWindowEnd(900, 15_000);
    await putRecords(stream, 6);
    const { calls, fn } = recording(async (e) => {
      if (e.isFinalInvokeForWindow) return { state: {}, batchItemFailures: [] };
      const seen = [...seenOf(e.state), ...payloads(e)];
      return {
        state: payloads(e).includes('r2') ? { seen, big: 'x'.repeat(1_048_576) } : { seen },
        batchItemFailures: [],
      };
    });
    // Act
    const stats = await new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 2,
      tumblingWindowSeconds: 900,
      fn,
    }).drain();
    // Assess
    expect(calls).toMatchObject([
      { records: r(0, 1), seen: [], big: 0, final: false, early: false },
      { records: r(2, 3), seen: r(0, 1), big: 0, final: false, early: false },
      { records: [], seen: r(0, 3), big: 1_048_576, final: true, early: true },
      { records: r(4, 5), seen: [], big: 0, final: false, early: false },
      { records: [], seen: r(4, 5), big: 0, final: true, early: false },
    ]);
    expect(new Set(calls.map((c) => c.window.start)).size).toBe(1); // one window throughout
    expect(stats).toMatchObject({ windowsTerminatedEarly: 1, finalInvocations: 2 });
  });

  it('retries a failed invocation from the state before it: the retry gets the state the failed attempt got, and every record counts once', async () => {
    // Prepare: the function adds to the state it received in place, then fails once on the batch with r5
    const stream = await local.newStream(1);
    await clearOfWindowEnd(900, 15_000);
    await putRecords(stream, 10);
    let failed = false;
    const { calls, fn } = recording(async (e) => {
      e.state.seen = [...seenOf(e.state), ...payloads(e)];
      if (payloads(e).includes('r5') && !failed) {
        failed = true;
        throw new Error('once');
      }
      return { state: e.state, batchItemFailures: [] };
    });
    // Act
    const stats = await new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 4,
      tumblingWindowSeconds: 900,
      fn,
    }).drain();
    // Assess: r4–r7 fails, its halves are retried with the state r4–r7 got
    expect(calls).toMatchObject([
      { records: r(0, 3), seen: [] },
      { records: r(4, 7), seen: r(0, 3) },
      { records: r(4, 5), seen: r(0, 3) },
      { records: r(6, 7), seen: r(0, 5) },
      { records: r(8, 9), seen: r(0, 7) },
      { records: [], seen: r(0, 9), final: true },
    ]);
    expect(stats).toMatchObject({ functionErrors: 1, bisections: 1, finalInvocations: 1 });
  });

  it('retries a failed final invocation with the same state until it succeeds (whatever retryAttempts), and no later record is delivered before', async () => {
    // Prepare: 1-second windows, r0–r2 in one, r3–r4 in the next; the first final
    // invocation throws, the second answers without a state
    const stream = await local.newStream(1);
    await clearOfWindowEnd(1, 500);
    await putRecords(stream, 3);
    await nextWindow(1);
    await putRecords(stream, 2, 3);
    let finals = 0;
    const { calls, fn } = recording(async (e, n) => {
      if (e.isFinalInvokeForWindow && ++finals === 1) throw new Error('destination down');
      if (e.isFinalInvokeForWindow && finals === 2) return { batchItemFailures: [] };
      return count(e, n);
    });
    const destination = new MemoryDestination();
    const invoked: { records: number; outcome: string; final?: boolean }[] = [];
    // Act
    const stats = await new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: destination,
      retryAttempts: 0,
      tumblingWindowSeconds: 1,
      fn,
      onInvoke: ({ records, outcome, final }) => invoked.push({ records, outcome, ...(final ? { final } : {}) }),
    }).drain();
    // Assess
    expect(calls).toMatchObject([
      { records: r(0, 2), seen: [], final: false },
      { records: [], seen: r(0, 2), final: true },
      { records: [], seen: r(0, 2), final: true },
      { records: [], seen: r(0, 2), final: true },
      { records: r(3, 4), seen: [], final: false },
      { records: [], seen: r(3, 4), final: true },
    ]);
    expect(invoked).toEqual([
      { records: 3, outcome: 'ok' },
      { records: 0, outcome: 'error', final: true },
      { records: 0, outcome: 'error', final: true },
      { records: 0, outcome: 'ok', final: true },
      { records: 2, outcome: 'ok' },
      { records: 0, outcome: 'ok', final: true },
    ]);
    expect(destination.batches).toEqual([]);
    expect(stats).toMatchObject({ functionErrors: 2, finalInvocations: 2, discardedRecords: 0 });
  });

  it('on a partial batch failure keeps the state returned for the records before it, and retries from the failed record with that state', async () => {
    // Prepare: the first invocation reports r3 as failed, with the state of r0–r2
    const stream = await local.newStream(1);
    await clearOfWindowEnd(900, 15_000);
    await putRecords(stream, 6);
    const { calls, fn } = recording(async (e, n) => {
      if (n > 0) return count(e, n);
      const failed = e.Records[3]?.kinesis.sequenceNumber as string;
      return { state: { seen: payloads(e).slice(0, 3) }, batchItemFailures: [{ itemIdentifier: failed }] };
    });
    // Act
    const stats = await new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 6,
      tumblingWindowSeconds: 900,
      fn,
    }).drain();
    // Assess
    expect(calls).toMatchObject([
      { records: r(0, 5), seen: [] },
      { records: r(3, 5), seen: r(0, 2) },
      { records: [], seen: r(0, 5), final: true },
    ]);
    expect(stats).toMatchObject({ partialFailures: 1, functionErrors: 0, finalInvocations: 1 });
  });

  it.each([
    ['batchItemFailures without a state', { batchItemFailures: [] }],
    ['no response', undefined],
  ])('counts a response with %s as a function error, retried with the state before it', async (_, bad) => {
    // Prepare: the first invocation with r2 answers without a state
    const stream = await local.newStream(1);
    await clearOfWindowEnd(900, 15_000);
    await putRecords(stream, 4);
    let answered = false;
    const { calls, fn } = recording(async (e, n) => {
      if (payloads(e).includes('r2') && !answered) {
        answered = true;
        return bad;
      }
      return count(e, n);
    });
    const outcomes: string[] = [];
    // Act
    const stats = await new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 2,
      bisectBatchOnError: false,
      tumblingWindowSeconds: 900,
      fn,
      onInvoke: ({ outcome }) => outcomes.push(outcome),
    }).drain();
    // Assess
    expect(calls).toMatchObject([
      { records: r(0, 1), seen: [] },
      { records: r(2, 3), seen: r(0, 1) },
      { records: r(2, 3), seen: r(0, 1) },
      { records: [], seen: r(0, 3), final: true },
    ]);
    expect(outcomes).toEqual(['ok', 'error', 'ok', 'ok']);
    expect(stats).toMatchObject({ functionErrors: 1, finalInvocations: 1 });
  });

  it("reports, while a window holds a state, the position where the window began (positions() and onCheckpoint); after its final invocation the last record's; a restart from there delivers the window again with {}", async () => {
    // Prepare: r0–r5, then r6–r9 after the first window closed; 2 a batch
    const stream = await local.newStream(1);
    await clearOfWindowEnd(900, 15_000);
    await putRecords(stream, 6);
    const checkpoints: (string | undefined)[] = [];
    const seq = new Map<string, string>();
    let saved: Record<string, string | undefined> = {};
    const options = {
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 2,
      tumblingWindowSeconds: 900,
    };
    const { calls, fn } = recording(async (e, n) => {
      for (const x of e.Records) seq.set(Buffer.from(x.kinesis.data, 'base64').toString(), x.kinesis.sequenceNumber);
      if (payloads(e).includes('r8')) saved = mapping.positions(); // r6, r7 done, in the window's state
      return count(e, n);
    });
    const mapping = new KinesisEventSourceMapping({ ...options, fn, onCheckpoint: (p) => checkpoints.push(p[SHARD]) });

    // Act
    await mapping.drain();
    const firstWindow = [...checkpoints];
    await putRecords(stream, 4, 6);
    await mapping.drain();
    const secondWindow = checkpoints.slice(firstWindow.length);
    const restarted = recording();
    const restart = new KinesisEventSourceMapping({ ...options, fn: restarted.fn });
    restart.resumeFrom(saved);
    await restart.drain();

    // Assess: the shard's start (undefined: TRIM_HORIZON) until the first window's final invocation
    expect(firstWindow).toEqual([undefined, undefined, undefined, seq.get('r5')]);
    expect(secondWindow).toEqual([seq.get('r5'), seq.get('r5'), seq.get('r9')]);
    expect(saved).toEqual({ [SHARD]: seq.get('r5') });
    expect(mapping.positions()).toEqual({ [SHARD]: seq.get('r9') });
    expect(calls.filter((c) => c.final).map((c) => c.seen)).toEqual([r(0, 5), r(6, 9)]);
    // the restart delivers the second window's records again, from a fresh state
    expect(restarted.calls).toMatchObject([
      { records: r(6, 7), seen: [] },
      { records: r(8, 9), seen: r(6, 7) },
      { records: [], seen: r(6, 9), final: true },
    ]);
  });

  it('closes a split parent’s window with its final invocation before either child starts; the child starts with {}', async () => {
    // Prepare: r0–r4 in the parent, r5–r9 in a child (same key)
    const stream = await local.newStream(1);
    await clearOfWindowEnd(900, 15_000);
    await putRecords(stream, 5, 0, 'a');
    await local.kinesis.send(
      new SplitShardCommand({ StreamName: stream, ShardToSplit: SHARD, NewStartingHashKey: (2n ** 127n).toString() }),
    );
    await waitActive(local.kinesis, stream);
    await putRecords(stream, 5, 5, 'a');
    const { calls, fn } = recording();
    const mapping = new KinesisEventSourceMapping({
      kinesis: local.kinesis,
      streamName: stream,
      onFailure: new MemoryDestination(),
      batchSize: 2,
      pollIntervalMs: 20,
      tumblingWindowSeconds: 900,
      fn,
    });

    // Act: run() (which never ends a window before its end on its own) until the child has every record
    const running = mapping.run();
    await eventually(() => calls.flatMap((c) => c.records).includes('r9'), 'r9 delivered');
    mapping.stop();
    await running;

    // Assess: the parent's end closed its window; the child's window is still open
    const parent = calls.filter((c) => c.shardId === SHARD);
    const child = calls.filter((c) => c.shardId !== SHARD);
    expect(parent).toMatchObject([
      { records: r(0, 1), seen: [] },
      { records: r(2, 3), seen: r(0, 1) },
      { records: r(4, 4), seen: r(0, 3) },
      { records: [], seen: r(0, 4), final: true },
    ]);
    expect(calls.slice(0, parent.length)).toEqual(parent);
    expect(child).toMatchObject([
      { records: r(5, 6), seen: [] },
      { records: r(7, 8), seen: r(5, 6) },
      { records: r(9, 9), seen: r(5, 8) },
    ]);
    expect(new Set(child.map((c) => c.shardId)).size).toBe(1);
    expect(child.some((c) => c.final)).toBe(false);
  });
});
