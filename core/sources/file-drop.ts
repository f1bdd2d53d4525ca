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
 */
import { createInterface } from 'node:readline';
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

/** Most rejected rows kept in memory before the errors file is written (larger files keep the first ones and a count). */
const MAX_ROW_ERRORS = 100_000;

async function* jsonLines(body: Readable): AsyncGenerator<{ line: number; item: unknown; raw: string }> {
  let line = 0;
  for await (const raw of createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    if (raw.trim() === '') continue;
    let item: unknown;
    try {
      item = JSON.parse(raw);
    } catch {
      item = Symbol.for('invalid-json');
    }
    yield { line, item, raw };
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
): AsyncGenerator<{ line: number; item: unknown; raw: string }> {
  const startOf = recordStarts();
  const parser = parse({
    columns: true,
    info: true,
    raw: true,
    skip_empty_lines: true,
    trim: true,
    skip_records_with_error: true,
    on_skip: (error, raw) => {
      const { line, text } = startOf(Number(error?.lines ?? 0), raw ?? '');
      onBadRecord({
        index: line,
        field: 'row',
        reason:
          error?.code === 'CSV_QUOTE_NOT_CLOSED'
            ? 'a quoted field is not closed: the rest of the file could not be read'
            : 'the row does not have as many fields as the header: quote fields that contain commas',
        row: text,
      });
      return undefined;
    },
    // Here, not in the loop below: skipped and kept records then reach startOf in file order.
    on_record: (r: { record: Record<string, string>; info: { lines: number }; raw: string }) => ({
      record: r.record,
      ...startOf(r.info.lines, r.raw),
    }),
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

function rowsOf(key: string, body: Readable, onBadRecord: (e: RowError) => void) {
  if (/\.csv$/i.test(key)) return csvRows(body, onBadRecord);
  if (/\.(jsonl|ndjson)$/i.test(key)) return jsonLines(body);
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
): Promise<FileResult> {
  const result: FileResult = { key: object.key, outcome: 'ignored', produced: 0, rejected: 0 };
  if (!object.key.startsWith(DROP_PREFIXES.incoming) || object.key.endsWith('/')) return result;
  let body: Readable;
  try {
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        ...(object.versionId ? { VersionId: object.versionId } : {}),
      }),
    );
    body = got.Body as Readable;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion') return { ...result, outcome: 'gone' };
    throw error;
  }
  const errors: RowError[] = [];
  let rejected = 0;
  const reject = (e: RowError) => {
    rejected++;
    if (errors.length < MAX_ROW_ERRORS) errors.push(e);
  };
  const rows = rowsOf(object.key, body, reject);
  if (!rows) {
    body.destroy();
    errors.push({
      index: 0,
      field: 'file',
      reason: 'unsupported file type: name it .csv (with a header row) or .jsonl (one JSON event per line)',
      row: '',
    });
    await writeErrors(s3, object, errors, 0);
    await move(s3, object, `${DROP_PREFIXES.failed}${rest(object.key)}`);
    return { ...result, outcome: 'failed', rejected: 1 };
  }
  // Identity from the content (ETag), not the version: copying a file again to retry it
  // makes a new version of the same rows, which must not count twice.
  const producerId = unitProducerId('file-drop', object.bucket, object.key, object.eTag ?? object.versionId ?? '');
  const produced = await withUnitProducer(target, producerId, deadline, async (producer) => {
    for await (const { line, item, raw } of rows) {
      const r =
        typeof item === 'symbol'
          ? { index: line, field: 'event', reason: 'line is not valid JSON: write one JSON object per line' }
          : validateInput(item, line, 'file-drop');
      if ('reason' in r) reject({ ...r, index: line, row: raw });
      else if (r.type === 'MetricSample') await producer.put('MetricSample', r.body);
      else await producer.put('LogEvent', r.body);
    }
  });
  errors.sort((a, b) => a.index - b.index);
  if (errors.length > 0) await writeErrors(s3, object, errors, rejected);
  // A corrected file dropped again under the same name: its earlier errors no longer apply.
  else await s3.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: errorsKey(object) }));
  await move(s3, object, `${DROP_PREFIXES.processed}${rest(object.key)}`);
  return { ...result, outcome: 'processed', produced, rejected };
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
