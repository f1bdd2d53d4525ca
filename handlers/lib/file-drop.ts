/**
 * The file drop behind its queue: the drop bucket notifies an SQS queue of each object
 * created under `incoming/`, and the function reads the queue with partial batch responses
 * (Powertools batch, `ReportBatchItemFailures`). Each message body is one S3 event
 * notification (S3's `s3:TestEvent` when the notification is set up: ignored); each object
 * it names is ingested once per version (core/sources/file-drop.ts, Powertools
 * Idempotency). A message that fails comes back after the queue's visibility timeout; at
 * its last receive (the queue's `maxReceiveCount`) a file that still fails moves to
 * `failed/` with the reason, and the queue then moves the message to its dead-letter queue.
 * Local mode runs the same handler behind an in-process queue (local/queue.ts).
 */
import { FILE_DROP_EMF } from '#core/metrics/names.js';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { StreamTarget } from '#core/sources/emit.js';
import {
  DROP_PREFIXES,
  type DroppedObject,
  failFile,
  type FileDropLimits,
  type FileResult,
  ingestFile,
} from '#core/sources/file-drop.js';
import { deadlineOf, type IdempotencyStore, idempotent, type RemainingTime } from '#core/sources/idempotency.js';
import { functionDimension } from './emf.js';
import { beginInvocation } from './log-context.js';
import { countProduced, type SourceMetricsDeps } from './sources.js';

/** A message of the file-drop queue that is not an S3 event notification. */
export class FileDropMessageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FileDropMessageError';
  }
}

/** A file that failed at its notification's last receive: moved to `failed/`; the message goes to the dead-letter queue. */
export class FileDropFailedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FileDropFailedError';
  }
}

/** What the file drop needs. */
export interface FileDropDeps extends SourceMetricsDeps {
  s3: S3Client;
  target: StreamTarget;
  store: IdempotencyStore;
  logger: Logger;
  /** The queue's `maxReceiveCount`: at that receive a file that still fails moves to `failed/`. */
  maxReceiveCount: number;
  /** Limits of one file (default: FILE_DROP_LIMITS). */
  limits?: FileDropLimits;
  /**
   * Told of each object of a notification: ingested (or replayed), ignored, gone, or failed at
   * its last receive (then outcome `failed` with `receives`, the receive count).
   */
  onFile?: (result: FileResult) => void;
}

/** S3 notification keys are URL-encoded with '+' for spaces. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/** The notification a message holds, or `undefined` for S3's test event. @throws FileDropMessageError */
function notificationOf(record: SQSRecord): S3Event | undefined {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    throw new FileDropMessageError(
      `message ${record.messageId} is not JSON: only the drop bucket's S3 notifications belong on this queue`,
      { cause: error },
    );
  }
  if ((body as { Event?: unknown } | null)?.Event === 's3:TestEvent') return undefined;
  if (!Array.isArray((body as { Records?: unknown } | null)?.Records)) {
    throw new FileDropMessageError(
      `message ${record.messageId} has no "Records": only the drop bucket's S3 notifications belong on this queue`,
    );
  }
  return body as S3Event;
}

/** Counts of one invocation ({@link FILE_DROP_EMF}). */
class FileCounts {
  processed = 0;
  accepted = 0;
  rejected = 0;
  failed = 0;

  add(r: FileResult): void {
    if (r.outcome === 'processed') this.processed++;
    else if (r.outcome === 'failed') this.failed++;
    this.accepted += r.produced;
    this.rejected += r.rejected;
  }

  publish(metrics: Metrics, dimensions: Record<string, string>): void {
    metrics.addDimensions(dimensions);
    for (const [key, name] of Object.entries(FILE_DROP_EMF)) {
      metrics.addMetric(name, MetricUnit.Count, this[key as keyof typeof FILE_DROP_EMF]);
    }
    metrics.publishStoredMetrics();
  }
}

/**
 * Builds the file-drop handler (an SQS event source with `ReportBatchItemFailures`): the
 * response names the messages to retry. When every message fails it throws, as Powertools
 * does, so the invocation counts as an error.
 */
export function fileDropHandler(
  deps: FileDropDeps,
): (event: SQSEvent, context?: RemainingTime) => Promise<SQSBatchResponse> {
  const { target, publishing } = countProduced(deps.target, deps);
  const fn = functionDimension(deps.functionName ?? (process.env.AWS_LAMBDA_FUNCTION_NAME || undefined));
  // Results of a file ingested by this call (a replay returns the stored result, another object).
  const ingestedNow = new WeakSet<FileResult>();
  const once = idempotent(
    deps.store,
    { keyPrefix: 'file-drop', keyPath: 'id' },
    async (o: { id: string; bucket: string; key: string; versionId?: string; eTag?: string }, time) => {
      const result = await ingestFile(deps.s3, target, o, deadlineOf(time), deps.limits);
      ingestedNow.add(result);
      return result;
    },
  );

  const report = (result: FileResult, counts: FileCounts, counted: boolean) => {
    if (counted) counts.add(result);
    deps.onFile?.(result);
  };

  /** One object of a notification; at the message's last receive a failing file moves to failed/. */
  async function dropObject(
    messageId: string,
    r: S3Event['Records'][number],
    receiveCount: number,
    counts: FileCounts,
    context: RemainingTime | undefined,
  ): Promise<void> {
    const bucket = r.s3.bucket.name;
    const key = decodeKey(r.s3.object.key);
    if (!key.startsWith(DROP_PREFIXES.incoming)) {
      // Outside incoming/: the bucket notification (and local mode) filters these; a message sent by hand may not.
      report({ key, outcome: 'ignored', produced: 0, rejected: 0 }, counts, false);
      return;
    }
    const object: DroppedObject = {
      bucket,
      key,
      ...(r.s3.object.versionId ? { versionId: r.s3.object.versionId } : {}),
      ...(r.s3.object.eTag ? { eTag: r.s3.object.eTag } : {}),
    };
    const version = r.s3.object.versionId ?? r.s3.object.eTag ?? '';
    // Messages are processed in parallel: the object's ids go on each line, not on the logger.
    // (`version`: the object's version id, or its ETag in a bucket without versioning)
    const ids = { messageId, key, ...(version ? { version } : {}) };
    try {
      const result = await once({ id: `${bucket}/${key}#${version}`, ...object }, context);
      deps.logger.info('file ingested', { ...result, ...ids });
      report(result, counts, ingestedNow.has(result));
    } catch (error) {
      const { name, message } = error as Error;
      const last = receiveCount >= deps.maxReceiveCount;
      deps.logger.warn('file not ingested', {
        ...ids,
        receiveCount,
        maxReceiveCount: deps.maxReceiveCount,
        error: name,
      });
      // In progress elsewhere (a second delivery of the same notification): that delivery ingests it.
      if (!last || error instanceof IdempotencyAlreadyInProgressError) throw error;
      const reason =
        `the file could not be ingested in ${receiveCount} attempts (last error ${name}: ${message}); ` +
        'its notification went to the dead-letter queue: fix the cause, then copy the file to incoming/ again ' +
        '(rows already on the stream count once)';
      try {
        await failFile(deps.s3, object, reason);
      } catch (moveError) {
        deps.logger.error('file kept in incoming/: moving it to failed/ failed', {
          ...ids,
          error: (moveError as Error).name,
        });
        throw error;
      }
      report({ key, outcome: 'failed', produced: 0, rejected: 0, receives: receiveCount }, counts, true);
      throw new FileDropFailedError(
        `${key} failed ${receiveCount} receives: moved to ${DROP_PREFIXES.failed} with the reason`,
        { cause: error },
      );
    }
  }

  async function dropMessage(record: SQSRecord, counts: FileCounts, context: RemainingTime | undefined) {
    const notification = notificationOf(record);
    if (!notification) return;
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    for (const r of notification.Records) {
      if (!r.eventName.startsWith('ObjectCreated:')) continue;
      await dropObject(record.messageId, r, receiveCount, counts, context);
    }
  }

  return async (event, context) => {
    // One batch of several messages: no single correlation id (each line names its message and object).
    beginInvocation(deps.logger, context, undefined);
    const counts = new FileCounts();
    try {
      return await publishing(() =>
        processPartialResponse(
          event,
          (record: SQSRecord) => dropMessage(record, counts, context),
          // One per invocation: it holds the batch's outcomes.
          new BatchProcessor(EventType.SQS),
        ),
      );
    } finally {
      if (deps.metrics) counts.publish(deps.metrics, fn);
    }
  };
}
