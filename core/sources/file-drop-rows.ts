/**
 * Reading the rows of a dropped file as a stream (memory holds one record, not the
 * file): CSV with a header row, or JSON lines, each record within a size limit, a
 * UTF-8 byte order mark (Excel's) dropped. See file-drop.ts for what becomes of them.
 */
import { pipeline, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { RowError } from './drop-bucket.js';

/** What a line longer than the record limit is read as. */
export const TOO_LONG = Symbol.for('too-long');

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

/** JSON lines with their 1-based line numbers; blank lines are skipped. */
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

/**
 * The rows of a dropped file by its name: `.csv` through {@link csvRows}, `.jsonl` and
 * `.ndjson` as JSON lines (a line over `maxBytes` comes as {@link TOO_LONG}, one that is
 * not JSON as another symbol); undefined for another type.
 */
export function rowsOf(key: string, body: Readable, onBadRecord: (e: RowError) => void, maxBytes: number) {
  if (/\.csv$/i.test(key)) return csvRows(body, onBadRecord, maxBytes);
  if (/\.(jsonl|ndjson)$/i.test(key)) return jsonLines(body, maxBytes);
  return undefined;
}
