import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalQueue, type QueueMessage, QueueEventSource } from '#local/queue.js';

/** A queue on a clock the test moves. */
function queueAt(options: { visibilityTimeoutMs?: number; maxReceiveCount?: number } = {}) {
  const clock = { now: 0 };
  const dead: QueueMessage[] = [];
  const queue = new LocalQueue({
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 1_000,
    maxReceiveCount: options.maxReceiveCount ?? 3,
    now: () => clock.now,
    onDeadLetter: (m) => dead.push(m),
  });
  return { queue, clock, dead };
}

describe('LocalQueue: SQS standard queue semantics', () => {
  it('hides a received message for exactly the visibility timeout, then delivers it again with the next receive count', () => {
    // Prepare
    const { queue, clock } = queueAt({ visibilityTimeoutMs: 1_000 });
    const id = queue.send('a');

    // Act
    const first = queue.receive(10);
    clock.now = 999;
    const during = queue.receive(10);
    clock.now = 1_000;
    const again = queue.receive(10);

    // Assess
    expect(first.map((r) => [r.messageId, r.body, r.attributes.ApproximateReceiveCount])).toEqual([[id, 'a', '1']]);
    expect(during).toEqual([]);
    expect(again.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount])).toEqual([[id, '2']]);
    expect(again[0]?.attributes.ApproximateFirstReceiveTimestamp).toBe('0');
    expect(again[0]?.receiptHandle).not.toBe(first[0]?.receiptHandle);
    expect(queue.depth()).toEqual({ visible: 0, invisible: 1 });
  });

  it('deletes only with the receipt of the latest receive (at-least-once: a late delete of an older receive keeps it)', () => {
    // Prepare
    const { queue, clock } = queueAt({ visibilityTimeoutMs: 1_000 });
    queue.send('a');
    const [old] = queue.receive(1);
    clock.now = 1_000;
    const [latest] = queue.receive(1);

    // Act
    const stale = queue.delete(old?.receiptHandle as string);
    const current = queue.delete(latest?.receiptHandle as string);
    const twice = queue.delete(latest?.receiptHandle as string);

    // Assess
    expect([stale, current, twice]).toEqual([false, true, false]);
    clock.now = 5_000;
    expect(queue.receive(10)).toEqual([]);
    expect(queue.depth()).toEqual({ visible: 0, invisible: 0 });
  });

  it('receives at most the batch size, oldest first', () => {
    // Prepare
    const { queue } = queueAt();
    const ids = ['a', 'b', 'c'].map((b) => queue.send(b));

    // Act
    const batch = queue.receive(2);

    // Assess
    expect(batch.map((r) => r.messageId)).toEqual(ids.slice(0, 2));
    expect(queue.depth()).toEqual({ visible: 1, invisible: 2 });
  });

  it('moves a message received maxReceiveCount times to the dead-letter list when it comes back, not before', () => {
    // Prepare
    const { queue, clock, dead } = queueAt({ visibilityTimeoutMs: 100, maxReceiveCount: 3 });
    const id = queue.send('poison');
    const counts: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.now = i * 100;
      counts.push(...queue.receive(10).map((r) => r.attributes.ApproximateReceiveCount));
    }

    // Act
    clock.now = 299;
    const beforeVisible = queue.receive(10);
    const pendingBefore = queue.pending().map((m) => [m.messageId, m.receiveCount]);
    clock.now = 300;
    const afterVisible = queue.receive(10);

    // Assess
    expect(counts).toEqual(['1', '2', '3']);
    expect([beforeVisible, pendingBefore]).toEqual([[], [[id, 3]]]);
    expect(afterVisible).toEqual([]);
    expect(dead.map((m) => [m.messageId, m.body, m.receiveCount])).toEqual([[id, 'poison', 3]]);
    expect(queue.deadLetters()).toEqual(dead);
    expect(queue.pending()).toEqual([]);
  });

  it('refuses settings SQS would not take, naming them', () => {
    // Act / Assess
    expect(() => new LocalQueue({ visibilityTimeoutMs: 10, maxReceiveCount: 0 })).toThrow(
      'maxReceiveCount must be an integer ≥ 1, got 0',
    );
    expect(() => new LocalQueue({ visibilityTimeoutMs: -1, maxReceiveCount: 3 })).toThrow(
      'visibilityTimeoutMs must be ≥ 0, got -1',
    );
  });
});

describe('QueueEventSource: ReportBatchItemFailures', () => {
  /** An event source whose function answers with `answer(event)`; the events it got, in order. */
  function sourceOf(
    queue: LocalQueue,
    answer: (event: SQSEvent) => SQSBatchResponse | Promise<SQSBatchResponse>,
    batchSize = 10,
  ) {
    const events: SQSEvent[] = [];
    const source = new QueueEventSource({
      queue,
      batchSize,
      pollIntervalMs: 10,
      fn: async (event) => {
        events.push(event);
        return answer(event);
      },
    });
    return { source, events };
  }

  it('deletes the messages that succeeded and keeps exactly those the response names, until the visibility timeout', async () => {
    // Prepare
    const { queue, clock } = queueAt({ visibilityTimeoutMs: 1_000 });
    const [a, b, c] = ['a', 'b', 'c'].map((body) => queue.send(body));
    const { source, events } = sourceOf(queue, (e) => ({
      batchItemFailures: e.Records.filter((r) => r.body === 'b').map((r) => ({ itemIdentifier: r.messageId })),
    }));

    // Act
    await source.drain();
    const afterFirst = queue.depth();
    clock.now = 1_000;
    await source.drain();

    // Assess
    expect(events.map((e) => e.Records.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount]))).toEqual([
      [
        [a, '1'],
        [b, '1'],
        [c, '1'],
      ],
      [[b, '2']],
    ]);
    expect(afterFirst).toEqual({ visible: 0, invisible: 1 });
    expect(source.stats).toEqual({ invocations: 2, failedInvocations: 0, messagesDeleted: 2 });
  });

  it('keeps the whole batch when the function throws or names a message that is not in the batch', async () => {
    // Prepare
    const { queue, clock } = queueAt({ visibilityTimeoutMs: 1_000 });
    queue.send('a');
    queue.send('b');
    let call = 0;
    const errors: string[] = [];
    const events: SQSEvent[] = [];
    const source = new QueueEventSource({
      queue,
      batchSize: 10,
      pollIntervalMs: 10,
      onError: (e) => errors.push(e.message),
      fn: async (event) => {
        events.push(event);
        call++;
        if (call === 1) throw new Error('every message failed');
        if (call === 2) return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
        return { batchItemFailures: [] };
      },
    });

    // Act
    await source.drain();
    clock.now = 1_000;
    await source.drain();
    const kept = queue.depth();
    clock.now = 2_000;
    await source.drain();

    // Assess
    expect(events.map((e) => e.Records.map((r) => r.attributes.ApproximateReceiveCount))).toEqual([
      ['1', '1'],
      ['2', '2'],
      ['3', '3'],
    ]);
    expect(kept).toEqual({ visible: 0, invisible: 2 });
    expect(errors).toEqual(['every message failed']);
    expect(source.stats).toEqual({ invocations: 3, failedInvocations: 1, messagesDeleted: 2 });
    expect(queue.depth()).toEqual({ visible: 0, invisible: 0 });
  });

  it('polls on its own once started: a message sent later is delivered, a failing one comes back after its timeout', async () => {
    // Prepare: real time, a short visibility timeout
    const queue = new LocalQueue({ visibilityTimeoutMs: 50, maxReceiveCount: 3 });
    const seen: string[] = [];
    const { source } = sourceOf(queue, (e) => {
      seen.push(...e.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`));
      return {
        batchItemFailures: e.Records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })),
      };
    });
    source.start();

    // Act
    queue.send('good');
    queue.send('bad');
    source.poke();
    const deadline = Date.now() + 5_000;
    while (queue.deadLetters().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await source.stop();

    // Assess
    expect(seen).toEqual(['good#1', 'bad#1', 'bad#2', 'bad#3']);
    expect(queue.deadLetters().map((m) => [m.body, m.receiveCount])).toEqual([['bad', 3]]);
  });
});
