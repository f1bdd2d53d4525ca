/**
 * An in-process SQS standard queue with a redrive policy, for local mode's file drop
 * (the local S3's notifications → this queue → the file-drop handler, as in AWS):
 * - at-least-once: a received message stays in the queue, invisible for the visibility
 *   timeout, until it is deleted with the receipt handle of its latest receive; not
 *   deleted in time, it is received again;
 * - each receive counts (`ApproximateReceiveCount`); a message received `maxReceiveCount`
 *   times that comes back once more moves to the dead-letter list instead, as SQS moves
 *   it to the dead-letter queue;
 * - in memory: a restart forgets the messages; the files stay in the drop bucket, and
 *   `pulse start` queues those still under incoming/ again (LocalSources.requeueIncoming).
 * {@link QueueEventSource} invokes a handler with Lambda's SQS event shape.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** Settings of a {@link LocalQueue}. */
export interface LocalQueueOptions {
  /** How long a received message stays invisible, ms. */
  visibilityTimeoutMs: number;
  /** Receives before a message goes to the dead-letter list (the redrive policy). */
  maxReceiveCount: number;
  /** The queue's ARN in the events (default a local one). */
  arn?: string;
  /** Told of each message moved to the dead-letter list. */
  onDeadLetter?: (message: QueueMessage) => void;
  /** The clock (ms), for tests. */
  now?: () => number;
}

/** A message as the queue holds it. */
export interface QueueMessage {
  messageId: string;
  body: string;
  /** When it was sent, ms. */
  sentAt: number;
  /** Receives so far. */
  receiveCount: number;
  /** First receive, ms (undefined: never received). */
  firstReceivedAt: number | undefined;
}

interface Held extends QueueMessage {
  visibleAt: number;
  /** The receipt handle of the latest receive. */
  receipt: string | undefined;
}

/** See the module comment. */
export class LocalQueue {
  readonly arn: string;
  /** Receives before a message goes to the dead-letter list. */
  readonly maxReceiveCount: number;
  private readonly messages = new Map<string, Held>();
  private readonly dead: QueueMessage[] = [];
  private readonly now: () => number;

  constructor(private readonly o: LocalQueueOptions) {
    if (!(o.visibilityTimeoutMs >= 0)) throw new Error(`visibilityTimeoutMs must be ≥ 0, got ${o.visibilityTimeoutMs}`);
    if (!Number.isInteger(o.maxReceiveCount) || o.maxReceiveCount < 1) {
      throw new Error(`maxReceiveCount must be an integer ≥ 1, got ${o.maxReceiveCount}`);
    }
    this.arn = o.arn ?? 'arn:aws:sqs:us-east-1:000000000000:local-queue';
    this.maxReceiveCount = o.maxReceiveCount;
    this.now = o.now ?? Date.now;
  }

  /** Sends a message; returns its id. */
  send(body: string): string {
    const messageId = randomUUID();
    const at = this.now();
    this.messages.set(messageId, {
      messageId,
      body,
      sentAt: at,
      receiveCount: 0,
      firstReceivedAt: undefined,
      visibleAt: at,
      receipt: undefined,
    });
    return messageId;
  }

  /** Up to `max` visible messages, oldest first, each now invisible for the visibility timeout. */
  receive(max: number): SQSRecord[] {
    const now = this.now();
    const out: SQSRecord[] = [];
    for (const m of this.messages.values()) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (m.receiveCount >= this.maxReceiveCount) {
        this.messages.delete(m.messageId);
        const { visibleAt: _v, receipt: _r, ...message } = m;
        this.dead.push(message);
        this.o.onDeadLetter?.(message);
        continue;
      }
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + this.o.visibilityTimeoutMs;
      m.receipt = randomUUID();
      out.push(this.record(m));
    }
    return out;
  }

  /** Deletes a message by the receipt handle of its latest receive; false for an older receipt or a message gone. */
  delete(receiptHandle: string): boolean {
    for (const m of this.messages.values()) {
      if (m.receipt === receiptHandle) return this.messages.delete(m.messageId);
    }
    return false;
  }

  /** Messages moved to the dead-letter list, in order. */
  deadLetters(): readonly QueueMessage[] {
    return this.dead;
  }

  /** Messages visible now, and received but not yet deleted (in flight or waiting to come back). */
  depth(): { visible: number; invisible: number } {
    const now = this.now();
    let visible = 0;
    for (const m of this.messages.values()) if (m.visibleAt <= now) visible++;
    return { visible, invisible: this.messages.size - visible };
  }

  /** Every message still in the queue (not the dead letters). */
  pending(): QueueMessage[] {
    return [...this.messages.values()].map(({ visibleAt: _v, receipt: _r, ...m }) => m);
  }

  /** When the next invisible message becomes visible (ms), if any. */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const m of this.messages.values()) if (next === undefined || m.visibleAt < next) next = m.visibleAt;
    return next;
  }

  /** A message in Lambda's SQS event record shape. */
  private record(m: Held): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: m.receipt as string,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? ''),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: 'us-east-1',
    };
  }
}

/** Settings of a {@link QueueEventSource}. */
export interface QueueEventSourceOptions {
  queue: LocalQueue;
  /** The function; with `ReportBatchItemFailures` it names the messages to keep. */
  fn: (event: SQSEvent) => Promise<SQSBatchResponse | undefined | void>;
  /** Messages per invocation (1–10 as SQS receives them). */
  batchSize: number;
  /** How often an empty queue is polled, ms. */
  pollIntervalMs: number;
  /** Told of an invocation that failed (the whole batch comes back after the visibility timeout). */
  onError?: (error: Error) => void;
}

/**
 * Lambda's SQS event source mapping with `ReportBatchItemFailures`, one batch at a time:
 * the messages of a batch that succeeded are deleted; those the response names stay and
 * come back after the visibility timeout; a function error, or a response naming a message
 * that is not in the batch, keeps every message of the batch (Lambda's rule).
 */
export class QueueEventSource {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Invocations and their outcomes so far. */
  readonly stats = { invocations: 0, failedInvocations: 0, messagesDeleted: 0 };

  constructor(private readonly o: QueueEventSourceOptions) {}

  /** Starts polling. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Polls now instead of at the next interval (a message was sent). */
  poke(): void {
    this.wake?.();
  }

  /** Delivers every message visible now, and what becomes visible while it does, until none is. */
  async drain(): Promise<void> {
    while (this.o.queue.depth().visible > 0) await this.invokeOnce();
  }

  /** Stops polling after the batch in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const delivered = await this.invokeOnce();
      if (delivered || !this.running) continue;
      const next = this.o.queue.nextVisibleAt();
      const wait = Math.max(1, Math.min(this.o.pollIntervalMs, next === undefined ? Infinity : next - Date.now()));
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, wait);
      });
      clearTimeout(this.timer);
      this.wake = undefined;
    }
  }

  /** One batch: receive, invoke, delete what succeeded. False when nothing was visible. */
  private async invokeOnce(): Promise<boolean> {
    const records = this.o.queue.receive(this.o.batchSize);
    if (records.length === 0) return false;
    this.stats.invocations++;
    let keep: Set<string>;
    try {
      const response = await this.o.fn({ Records: records });
      const ids = new Set(records.map((r) => r.messageId));
      const named = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      keep = named.every((id) => ids.has(id)) ? new Set(named) : ids;
    } catch (error) {
      this.stats.failedInvocations++;
      this.o.onError?.(error as Error);
      keep = new Set(records.map((r) => r.messageId));
    }
    for (const r of records) {
      if (!keep.has(r.messageId) && this.o.queue.delete(r.receiptHandle)) this.stats.messagesDeleted++;
    }
    return true;
  }
}
