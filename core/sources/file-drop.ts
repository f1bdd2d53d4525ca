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
import { pipeline, type Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parse } from 'csv-parse';
import { type StreamTarget, unitProducerId, withUnitProducer } from './emit.js';
import { type InputError, validateInput } from './input.js';

/** Prefixes of the drop bucket. */
export const DROP_PREFIXES = { incoming: 'incoming/', processed: 'processed/', failed: 'failed/' } as const;

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

/** One dropped object, as an S3 notification names it. */
export interface DroppedObject {
  bucket: string;
  /** The object key, decoded (not URL-encoded). */
  key: string;
  /** The object version (versioned buckets); otherwise the ETag identifies the content. */
  versionId?: string;
  eTag?: string;
}

/** What ingesting one file did. */
export interface FileResult extends Record<string, unknown> {
  key: string;
  /** `processed`, `failed` (unsupported file), `ignored` (not under incoming/), `gone` (already moved). */
  outcome: 'processed' | 'failed' | 'ignored' | 'gone';
  produced: number;
  rejected: number;
}

/** A rejected row: its 1-based line, what is wrong, and the row as it was. */
export interface RowError extends InputError {
  row: string;
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

/** What a line longer than the record limit is read as. */
const TOO_LONG = Symbol.for('too-long');

/**
 * Lines of a stream, each at most `maxBytes` (a longer one is yielded as {@link TOO_LONG}
 * with its start, and the rest of it skipped unread into memory); a leading BOM dropped.
 */
async function* boundedLines(
  body: Readable,
  maxBytes: number,
): AsyncGenerator<{ text: string | typeof TOO_LONG; start: string }> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  let first = true;
  const take = (): { text: string | typeof TOO_LONG; start: string } => {
    const buf = Buffer.concat(parts);
    parts = [];
    size = 0;
    let text = buf.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return { text, start: text };
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    let data = chunk;
    if (first) {
      first = false;
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
    }
    let at = 0;
    while (at < data.length) {
      const nl = data.indexOf(0x0a, at);
      const end = nl < 0 ? data.length : nl;
      if (!skipping) {
        parts.push(data.subarray(at, end));
        size += end - at;
        if (size > maxBytes) {
          const start = Buffer.concat(parts).subarray(0, 1_024).toString('utf8');
          parts = [];
          size = 0;
          skipping = true;
          yield { text: TOO_LONG, start };
        }
      }
      if (nl < 0) break;
      if (skipping) skipping = false;
      else yield take();
      at = nl + 1;
    }
  }
  if (!skipping && size > 0) yield take();
}

async function* jsonLines(
  body: Readable,
  maxBytes: number,
): AsyncGenerator<{ line: number; item: unknown; raw: string }> {
  let line = 0;
  for await (const { text, start } of boundedLines(body, maxBytes)) {
    line++;
    if (text === TOO_LONG) {
      yield { line, item: TOO_LONG, raw: start };
      continue;
    }
    if (text.trim() === '') continue;
    let item: unknown;
    try {
      item = JSON.parse(text);
    } catch {
      item = Symbol.for('invalid-json');
    }
    yield { line, item, raw: text };
  }
}

/**
 * CSV rows as objects: `tags.x` / `attributes.x` columns nest; empty cells are absent.
 * A record that does not parse (wrong column count, unclosed quote) is handed to
 * `onBadRecord` with its line and text, and parsing goes on.
 */
async function* csvRows(
  body: Readable,
  onBadRecord: (e: RowError) => void,
  maxBytes: number,
): AsyncGenerator<{ line: number; item: unknown; raw: string }> {
  const startOf = recordStarts();
  let overLimit = false;
  const parser = parse({
    bom: true,
    max_record_size: maxBytes,
    columns: true,
    info: true,
    raw: true,
    skip_empty_lines: true,
    trim: true,
    skip_records_with_error: true,
    on_skip: (error, raw) => {
      // A record over the size limit is cut at each limit's worth of bytes: one report for it.
      if (error?.code === 'CSV_MAX_RECORD_SIZE') {
        if (overLimit) return undefined;
        overLimit = true;
      }
      const { line, text } = startOf(Number(error?.lines ?? 0), raw ?? '');
      onBadRecord({
        index: line,
        field: 'row',
        reason:
          error?.code === 'CSV_QUOTE_NOT_CLOSED'
            ? 'a quoted field is not closed: the rest of the file could not be read'
            : error?.code === 'CSV_MAX_RECORD_SIZE'
              ? `a record is longer than ${maxBytes} bytes (a quote not closed?): the rest of the file could not be read`
              : 'the row does not have as many fields as the header: quote fields that contain commas',
        row: text,
      });
      return undefined;
    },
    // Here, not in the loop below: skipped and kept records then reach startOf in file order.
    on_record: (r: { record: Record<string, string>; info: { lines: number }; raw: string }) => {
      overLimit = false;
      return { record: r.record, ...startOf(r.info.lines, r.raw) };
    },
  });
  // pipeline, not pipe: an error of the S3 body reaches the parser (and this loop).
  pipeline(body, parser, () => {});
  for await (const record of parser as AsyncIterable<{ record: Record<string, string>; line: number; text: string }>) {
    const item: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(record.record)) {
      if (value === '') continue;
      const dot = column.indexOf('.');
      const map = dot > 0 ? column.slice(0, dot) : undefined;
      if (map === 'tags' || map === 'attributes') {
        const nested = (item[map] ??= {}) as Record<string, string>;
        nested[column.slice(dot + 1)] = value;
      } else item[column] = value;
    }
    yield { line: record.line, item, raw: record.text };
  }
}

/**
 * The line a CSV record starts on, and its text, from what csv-parse reports: the line it
 * ends on, and a raw text that carries the blank (or blank-looking) lines skipped before
 * it and part of its line ending. csv-parse also counts a CRLF inside quotes as two
 * lines, for the rest of the file: the CRLFs seen so far are taken off.
 */
function recordStarts(): (endLine: number, raw: string) => { line: number; text: string } {
  let quotedCrlfs = 0;
  return (endLine, raw) => {
    const text = raw.replace(/^(?:[ \t]*(?:\r\n|\r|\n))+/, '').replace(/(?:\r\n|\r|\n)$/, '');
    quotedCrlfs += text.match(/\r\n/g)?.length ?? 0;
    return { line: endLine - quotedCrlfs - (text.match(/\r\n|\r|\n/g)?.length ?? 0), text };
  };
}

function rowsOf(key: string, body: Readable, onBadRecord: (e: RowError) => void, maxBytes: number) {
  if (/\.csv$/i.test(key)) return csvRows(body, onBadRecord, maxBytes);
  if (/\.(jsonl|ndjson)$/i.test(key)) return jsonLines(body, maxBytes);
  return undefined;
}

/** `incoming/a/b.csv` → `a/b.csv`. */
const rest = (key: string) => key.slice(DROP_PREFIXES.incoming.length);

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
    await move(s3, object, `${DROP_PREFIXES.failed}${rest(object.key)}`);
    return { ...result, outcome: 'failed', produced, rejected };
  }
  if (errors.length > 0) await writeErrors(s3, object, errors, rejected);
  // A corrected file dropped again under the same name: its earlier errors no longer apply.
  else await s3.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: errorsKey(object) }));
  await move(s3, object, `${DROP_PREFIXES.processed}${rest(object.key)}`);
  return { ...result, outcome: 'processed', produced, rejected };
}

/**
 * Moves a dropped file to `failed/` whole, beside an errors file giving `reason` (one line,
 * field `file`): nothing is lost, the file is kept as it was. Used for a file that cannot be
 * read (type, size), and by the handler for a file that failed every receive of its
 * notification.
 */
export async function failFile(s3: S3Client, object: DroppedObject, reason: string): Promise<void> {
  await writeErrors(s3, object, [{ index: 0, field: 'file', reason, row: '' }], 0);
  await move(s3, object, `${DROP_PREFIXES.failed}${rest(object.key)}`);
}

/** Suffix of the errors file written beside `failed/<name>`. */
export const ERRORS_SUFFIX = '.errors.jsonl';

const errorsKey = (object: DroppedObject) => `${DROP_PREFIXES.failed}${rest(object.key)}${ERRORS_SUFFIX}`;

async function writeErrors(s3: S3Client, object: DroppedObject, errors: RowError[], rejected: number): Promise<void> {
  const lines = errors.map(({ index, field, reason, row }) => JSON.stringify({ line: index, field, reason, row }));
  if (rejected > errors.length) lines.push(JSON.stringify({ omitted: rejected - errors.length }));
  await s3.send(
    new PutObjectCommand({
      Bucket: object.bucket,
      Key: errorsKey(object),
      Body: `${lines.join('\n')}\n`,
      ContentType: 'application/x-ndjson',
    }),
  );
}

/** Copy, then delete: S3 has no rename. A crash between the two leaves a copy that a retry overwrites. */
async function move(s3: S3Client, object: DroppedObject, to: string): Promise<void> {
  const source = `${object.bucket}/${object.key
    .split('/')
    .map(encodeURIComponent)
    .join('/')}${object.versionId ? `?versionId=${encodeURIComponent(object.versionId)}` : ''}`;
  await s3.send(new CopyObjectCommand({ Bucket: object.bucket, Key: to, CopySource: source }));
  await s3.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: object.key }));
}
