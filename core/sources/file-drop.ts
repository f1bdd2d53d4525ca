/**
 * The S3 file drop: a CSV or JSON-lines file put under `incoming/` becomes events.
 *
 * - `.csv`: a header row naming the fields (`type`, `occurred_at`, `host`, `metric`,
 *   `value`, …); `tags.<name>` and `attributes.<name>` columns fill those maps;
 *   `type` defaults to MetricSample.
 * - `.jsonl` / `.ndjson`: one event object per line, as the ingest API takes them.
 *
 * Valid rows are produced in file order under an identity derived from the
 * object (bucket, key, version), so the same file version never counts twice.
 * Rows that fail validation go to `failed/<name>.errors.jsonl`, one JSON line each
 * with the line number, field, reason and the row itself (nothing is lost). The file
 * then moves to `processed/`; a file without errors removes the errors file an earlier
 * version under the same name left. A file of another type moves to `failed/` whole,
 * with an errors file saying why.
 *
 * Limits ({@link FILE_DROP_LIMITS}), each with its reason in the errors file and the file
 * itself kept under `failed/` (nothing is lost): the object's size (checked before
 * reading), a record's size (a line, or a CSV record: an unclosed quote ends there, not
 * at the end of memory), and the rows per file. The file is read as a stream: memory
 * holds one record, not the file. The errors file keeps the first rejected rows, each
 * cut to a length, and counts the rest. A UTF-8 byte order mark (Excel's) is dropped.
 */
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DROP_PREFIXES,
  type DroppedObject,
  errorsKey,
  failFile,
  move,
  dropName,
  type RowError,
  writeErrors,
} from './drop-bucket.js';
import { type StreamTarget, unitProducerId, withUnitProducer } from './emit.js';
import { rowsOf, TOO_LONG } from './file-drop-rows.js';
import { validateInput } from './input.js';

export { DROP_PREFIXES, type DroppedObject, ERRORS_SUFFIX, failFile, type RowError } from './drop-bucket.js';

/**
 * The queue between the drop bucket's notifications and the file-drop function, the same
 * in AWS (infra/constructs/sources.ts) and locally (local/queue.ts).
 */
export const FILE_DROP_QUEUE = {
  /**
   * Receives of a notification before it goes to the dead-letter queue; at the last one the
   * handler moves a file that still fails to `failed/` with the reason.
   */
  maxReceiveCount: 3,
  /** Visibility timeout per second of the function's timeout: AWS recommends at least 6 for an SQS event source. */
  visibilityPerTimeout: 6,
  /**
   * Messages per invocation, processed in parallel: each file is streamed (memory holds a
   * record per file, not the file), so five fit the function's 1,024 MB.
   */
  batchSize: 5,
} as const;

/** What ingesting one file did. */
export interface FileResult extends Record<string, unknown> {
  key: string;
  /** `processed`, `failed` (unsupported file), `ignored` (not under incoming/), `gone` (already moved). */
  outcome: 'processed' | 'failed' | 'ignored' | 'gone';
  produced: number;
  rejected: number;
}

/** Limits of one dropped file (see the module comment). */
export interface FileDropLimits {
  /** Largest object read, bytes (default 1 GB). */
  maxObjectBytes: number;
  /** Largest record (a JSON line, a CSV record), bytes (default 64 KiB). */
  maxRecordBytes: number;
  /** Most rows read from one file (default 10,000,000). */
  maxRows: number;
  /** Rejected rows kept in the errors file; the rest are counted (default 10,000). */
  maxErrorsKept: number;
  /** Characters of a rejected row kept in the errors file (default 1,024). */
  maxErrorRowChars: number;
}

/** Defaults of {@link FileDropLimits}. */
export const FILE_DROP_LIMITS: Readonly<FileDropLimits> = Object.freeze({
  maxObjectBytes: 1_000_000_000,
  maxRecordBytes: 65_536,
  maxRows: 10_000_000,
  maxErrorsKept: 10_000,
  maxErrorRowChars: 1_024,
});

/**
 * Ingests one dropped object (see the module comment).
 * @throws ProduceTimeoutError when Kinesis did not take every row by `deadline` (the file stays in incoming/ to be retried)
 */
export async function ingestFile(
  s3: S3Client,
  target: StreamTarget,
  object: DroppedObject,
  deadline: number,
  limits: FileDropLimits = FILE_DROP_LIMITS,
): Promise<FileResult> {
  const result: FileResult = { key: object.key, outcome: 'ignored', produced: 0, rejected: 0 };
  if (!object.key.startsWith(DROP_PREFIXES.incoming) || object.key.endsWith('/')) return result;
  let body: Readable;
  let objectBytes = 0;
  try {
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        ...(object.versionId ? { VersionId: object.versionId } : {}),
      }),
    );
    body = got.Body as Readable;
    objectBytes = got.ContentLength ?? 0;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion') return { ...result, outcome: 'gone' };
    throw error;
  }
  const errors: RowError[] = [];
  let rejected = 0;
  const reject = (e: RowError) => {
    rejected++;
    if (errors.length < limits.maxErrorsKept) {
      const row = e.row.length > limits.maxErrorRowChars ? `${e.row.slice(0, limits.maxErrorRowChars)}…` : e.row;
      errors.push({ ...e, row });
    }
  };
  const failWhole = async (reason: string): Promise<FileResult> => {
    body.destroy();
    await failFile(s3, object, reason);
    return { ...result, outcome: 'failed', rejected: 1 };
  };
  if (objectBytes > limits.maxObjectBytes) {
    return failWhole(
      `file is ${objectBytes} bytes, above the ${limits.maxObjectBytes}-byte limit: split it into smaller files`,
    );
  }
  const rows = rowsOf(object.key, body, reject, limits.maxRecordBytes);
  if (!rows) {
    return failWhole('unsupported file type: name it .csv (with a header row) or .jsonl (one JSON event per line)');
  }
  // Identity from the content (ETag), not the version: copying a file again to retry it
  // makes a new version of the same rows, which must not count twice.
  const producerId = unitProducerId('file-drop', object.bucket, object.key, object.eTag ?? object.versionId ?? '');
  let truncatedAt: number | undefined;
  const produced = await withUnitProducer(target, producerId, deadline, async (producer) => {
    let read = 0;
    for await (const { line, item, raw } of rows) {
      if (++read > limits.maxRows) {
        truncatedAt = line;
        body.destroy();
        break;
      }
      const r =
        item === TOO_LONG
          ? {
              index: line,
              field: 'row',
              reason: `line is longer than ${limits.maxRecordBytes} bytes: one event per line, within the limit`,
            }
          : typeof item === 'symbol'
            ? { index: line, field: 'event', reason: 'line is not valid JSON: write one JSON object per line' }
            : validateInput(item, line, 'file-drop');
      if ('reason' in r) reject({ ...r, index: line, row: raw });
      else if (r.type === 'MetricSample') await producer.put('MetricSample', r.body);
      else await producer.put('LogEvent', r.body);
    }
  });
  errors.sort((a, b) => a.index - b.index);
  if (truncatedAt !== undefined) {
    // The rows read are on the stream under this file's identity: dropping the same file
    // again counts them once, so the file is kept whole under failed/.
    errors.push({
      index: truncatedAt,
      field: 'file',
      reason: `file has more than ${limits.maxRows} rows: rows from this line on were not read; split the file (the same file dropped again counts the rows read once)`,
      row: '',
    });
    await writeErrors(s3, object, errors, rejected);
    await move(s3, object, `${DROP_PREFIXES.failed}${dropName(object.key)}`);
    return { ...result, outcome: 'failed', produced, rejected };
  }
  if (errors.length > 0) await writeErrors(s3, object, errors, rejected);
  // A corrected file dropped again under the same name: its earlier errors no longer apply.
  else await s3.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: errorsKey(object) }));
  await move(s3, object, `${DROP_PREFIXES.processed}${dropName(object.key)}`);
  return { ...result, outcome: 'processed', produced, rejected };
}
