/**
 * The S3 file drop in local mode: the local S3's own object-created notifications for the
 * drop bucket (s3rver emits them in S3's format) go to an in-process queue with SQS's
 * semantics (./queue.ts), which invokes the file-drop handler with SQS events, as in AWS.
 * The queue lives in memory: files left under incoming/ are queued again at the next start.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event } from 'aws-lambda';
import { fileDropHandler } from '#handlers/lib/file-drop.js';
import type { StreamTarget } from '#core/sources/emit.js';
import { DROP_PREFIXES, FILE_DROP_QUEUE, type FileResult } from '#core/sources/file-drop.js';
import { type IdempotencyStore, LOCAL_TIMEOUT_MS, localClock } from '#core/sources/idempotency.js';
import { LocalQueue, type QueueMessage, QueueEventSource } from './queue.js';

/**
 * The local file-drop queue: AWS's settings (FILE_DROP_QUEUE) on local mode's function
 * timeout ({@link LOCAL_TIMEOUT_MS}): a failed file comes back after 6 minutes.
 */
export const LOCAL_FILE_DROP_QUEUE = {
  /** The handler's time per invocation, ms (as a Lambda timeout). */
  timeoutMs: LOCAL_TIMEOUT_MS,
  visibilityTimeoutMs: FILE_DROP_QUEUE.visibilityPerTimeout * LOCAL_TIMEOUT_MS,
  maxReceiveCount: FILE_DROP_QUEUE.maxReceiveCount,
  batchSize: FILE_DROP_QUEUE.batchSize,
  /** How often the empty queue is looked at (a notification also wakes it). */
  pollIntervalMs: 200,
} as const;

/** Settings of the local queue, each defaulting to {@link LOCAL_FILE_DROP_QUEUE}'s. */
export type FileDropQueueSettings = Partial<Record<keyof typeof LOCAL_FILE_DROP_QUEUE, number>>;

/** What the file drop is wired to. */
export interface LocalFileDropOptions {
  s3: S3Client;
  target: StreamTarget;
  /** Powertools Idempotency's table. */
  store: IdempotencyStore;
  logger: Logger;
  queue?: FileDropQueueSettings;
  /** True once the sources stop: notifications are no longer queued. */
  stopping: () => boolean;
  /** Registers a handler's work, so that stopping the sources waits for it. */
  track: <T>(work: Promise<T>) => Promise<T>;
  log?: (line: string) => void;
}

/** The key of the first object a notification message names (for the log). */
function keyOf(message: QueueMessage): string {
  try {
    const key = (JSON.parse(message.body) as S3Event).Records[0]?.s3.object.key ?? '?';
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return '?';
  }
}

/** See the module comment. */
export class LocalFileDrop {
  /** The drop bucket's notifications, between the local S3 and the file-drop handler. */
  readonly queue: LocalQueue;
  private readonly source: QueueEventSource;

  constructor(private readonly o: LocalFileDropOptions) {
    const q = { ...LOCAL_FILE_DROP_QUEUE, ...o.queue };
    const dropFile = fileDropHandler({
      s3: o.s3,
      target: o.target,
      store: o.store,
      logger: o.logger,
      maxReceiveCount: q.maxReceiveCount,
      onFile: (r) => this.onFile(r, q.maxReceiveCount),
    });
    this.queue = new LocalQueue({
      visibilityTimeoutMs: q.visibilityTimeoutMs,
      maxReceiveCount: q.maxReceiveCount,
      onDeadLetter: (m) =>
        this.o.log?.(
          `file drop: the notification of ${keyOf(m)} went to the dead-letter queue after ${m.receiveCount} receives (the file is under failed/ with the reason)`,
        ),
    });
    this.source = new QueueEventSource({
      queue: this.queue,
      fn: (event) => o.track(dropFile(event, localClock(q.timeoutMs))),
      batchSize: q.batchSize,
      pollIntervalMs: q.pollIntervalMs,
      onError: (error) => {
        // Powertools' error when every message failed carries each message's own.
        const each = (error as { recordErrors?: Error[] }).recordErrors?.map((e) => e.message) ?? [error.message];
        this.o.log?.(`file drop failed (retried after the visibility timeout): ${each.join('; ')}`);
      },
    });
  }

  private onFile(r: FileResult, maxReceiveCount: number): void {
    if (r.outcome === 'failed' && typeof r.receives === 'number') {
      this.o.log?.(
        `file drop: ${r.key} failed ${r.receives} of ${maxReceiveCount} receives → failed/ with the reason; its notification goes to the dead-letter queue`,
      );
    } else if (r.outcome === 'processed' || r.outcome === 'failed') {
      this.o.log?.(`file drop: ${r.key} → ${r.outcome} (${r.produced} events, ${r.rejected} rejected)`);
    }
  }

  /** Starts invoking the handler with what the queue holds. */
  start(): void {
    this.source.start();
  }

  /**
   * Queues an S3 notification (from the local S3) for the file-drop handler, as S3 sends it
   * to SQS: only objects created under incoming/, the bucket notification's filter in AWS
   * (the local S3 notifies every object, the handler's own moves included).
   */
  onS3Event(event: S3Event): void {
    if (this.o.stopping()) return;
    const r = event.Records[0];
    if (!r?.eventName.startsWith('ObjectCreated:') || !r.s3.object.key.startsWith(DROP_PREFIXES.incoming)) return;
    this.queue.send(JSON.stringify(event));
    this.source.poke();
  }

  /**
   * Notifications that went to the dead-letter queue in this run, or failed their last
   * receive and would at the next (their files are under failed/).
   */
  deadLetters(): number {
    const max = this.queue.maxReceiveCount;
    return this.queue.deadLetters().length + this.queue.pending().filter((m) => m.receiveCount >= max).length;
  }

  /**
   * Queues a notification for every file still under `incoming/` of `bucket`: the local
   * queue lives in memory, so a file whose retry a stop cut short, or one dropped while
   * nothing ran, is picked up by the next start (its identity comes from its content: a
   * file already ingested counts nothing again). @returns how many were queued
   */
  async requeueIncoming(bucket: string): Promise<number> {
    let queued = 0;
    let token: string | undefined;
    do {
      const page = await this.o.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: DROP_PREFIXES.incoming, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        this.onS3Event({
          Records: [
            {
              eventSource: 'aws:s3',
              eventName: 'ObjectCreated:Put',
              s3: {
                bucket: { name: bucket },
                // As S3 writes keys in notifications: URL-encoded, spaces as '+'.
                object: {
                  key: encodeURIComponent(o.Key).replace(/%20/g, '+').replace(/%2F/g, '/'),
                  eTag: o.ETag?.replace(/"/g, ''),
                  size: o.Size,
                },
              },
            },
          ],
        } as unknown as S3Event);
        queued++;
      }
      token = page.NextContinuationToken;
    } while (token);
    return queued;
  }

  /** Stops taking messages; with `drain`, first handles what is visible (a failed file waits out its visibility timeout). */
  async stop(drain: boolean): Promise<void> {
    await this.source.stop();
    if (drain) await this.source.drain();
  }

  /**
   * Says what the in-memory queue still holds when it stops (the queue is not kept; the
   * files are): a notification past its last receive is a dead letter (SQS would move it at
   * its next receive), one with receives left leaves its file in incoming/.
   */
  reportQueued(): void {
    const max = this.queue.maxReceiveCount;
    for (const m of this.queue.pending()) {
      this.o.log?.(
        m.receiveCount >= max
          ? `file drop: the notification of ${keyOf(m)} failed its last receive: dead-lettered (the file is under failed/ with the reason)`
          : `file drop: ${keyOf(m)} failed ${m.receiveCount} of ${max} receives and was waiting for a retry: it stays in incoming/, and the next start queues it again`,
      );
    }
  }
}
