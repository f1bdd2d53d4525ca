/**
 * Parquet files from lake rows, written by DuckDB (Snappy, dictionary encoding on)
 * with the column types generated from the schemas: the same columns Firehose's
 * record format conversion writes from the Glue table.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { LakeColumn } from './columns.js';

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * Writes rows (JSON objects with epoch-ms timestamps) as one Parquet file and returns its bytes.
 */
export async function rowsToParquet(
  duck: DuckDBConnection,
  columns: readonly LakeColumn[],
  rows: readonly Record<string, unknown>[],
): Promise<Buffer> {
  return jsonLinesToParquet(
    duck,
    columns,
    rows.map((r) => JSON.stringify(r)),
  );
}

/**
 * Writes rows given as JSON text (one object per string, as the Firehose transform
 * emits them) as one Parquet file and returns its bytes. The rows go through a
 * newline-delimited JSON file that DuckDB reads with explicit column types, so
 * JavaScript never parses them.
 */
export async function jsonLinesToParquet(
  duck: DuckDBConnection,
  columns: readonly LakeColumn[],
  lines: readonly string[],
): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-parquet-'));
  try {
    const input = join(dir, 'rows.ndjson');
    const output = join(dir, 'rows.parquet');
    writeFileSync(input, lines.join('\n'));
    // JSON carries timestamps as epoch ms (BIGINT); the Parquet column is a TIMESTAMP.
    const jsonTypes = columns
      .map((c) => `${quoteIdent(c.name)}: ${quoteString(c.duckdbType === 'TIMESTAMP' ? 'BIGINT' : c.duckdbType)}`)
      .join(', ');
    const select = columns
      .map((c) =>
        c.duckdbType === 'TIMESTAMP'
          ? `make_timestamp(${quoteIdent(c.name)} * 1000) AS ${quoteIdent(c.name)}`
          : quoteIdent(c.name),
      )
      .join(', ');
    await duck.run(
      `COPY (SELECT ${select} FROM read_json(${quoteString(input)}, format = 'newline_delimited', columns = {${jsonTypes}})) ` +
        `TO ${quoteString(output)} (FORMAT PARQUET, COMPRESSION SNAPPY)`,
    );
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
