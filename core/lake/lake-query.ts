/**
 * Athena-dialect SQL on DuckDB over the local lake: the compatibility macros,
 * bronze views over the Parquet files (hive partitions), then the silver and
 * gold views of analytics-sql/, in file-name order.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { EVENT_TYPES } from '#core/contract/events.js';
import { writeFileAtomic } from '#core/atomic-write.js';
import { LAKE_TABLES, lakeColumns, PARTITION_KEYS } from './columns.js';
import { bindExecutionParameters } from './execution-parameters.js';

/** The analytics-sql/ folder of this repo. */
export function analyticsSqlDir(): string {
  return fileURLToPath(new URL('../../analytics-sql/', import.meta.url));
}

/**
 * Copies the lake's Parquet objects not yet in `cacheDir` (or there at another size) from S3
 * (local or AWS), each through a temporary name and a rename. @returns files downloaded
 */
export async function syncLake(s3: Pick<S3Client, 'send'>, bucket: string, cacheDir: string): Promise<number> {
  let downloaded = 0;
  for (const table of Object.values(LAKE_TABLES)) {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: `${table}/`, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key?.endsWith('.parquet')) continue;
        const file = join(cacheDir, o.Key);
        // A file of another size is a copy cut short (by a hard kill, before writes were atomic) or stale.
        if (existsSync(file) && (o.Size === undefined || statSync(file).size === o.Size)) continue;
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
        writeFileAtomic(
          file,
          await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        );
        downloaded++;
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  return downloaded;
}

/** Splits a SQL file into statements (on `;` at line ends; the files hold no `;` inside strings). */
export function statements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

/** The partition columns' types for DuckDB's hive reader: INTEGER, as Glue's `int`. */
const HIVE_TYPES = PARTITION_KEYS.map((k) => `'${k}': INTEGER`).join(', ');

/** A JSON-safe row: BigInts become numbers, timestamps ISO strings. */
export type Row = Record<string, string | number | boolean | null | unknown[] | Record<string, unknown>>;

/** An open DuckDB session over a lake directory. */
export class LakeQuery {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /**
   * Opens DuckDB over `lakeDir` (holding `<table>/year=…/*.parquet`) and creates the
   * macros, bronze views and analytics-sql views.
   */
  static async open(registry: SchemaRegistry, lakeDir: string, sqlDir = analyticsSqlDir()): Promise<LakeQuery> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const q = new LakeQuery(instance, connection);
    try {
      await q.createViews(registry, lakeDir, sqlDir);
    } catch (error) {
      q.close();
      throw error;
    }
    return q;
  }

  /** The macros, bronze views over the Parquet files and analytics-sql views. */
  private async createViews(registry: SchemaRegistry, lakeDir: string, sqlDir: string): Promise<void> {
    const { connection } = this;
    await this.runFile(join(sqlDir, 'duckdb', 'compat.sql'));
    for (const type of EVENT_TYPES) {
      const table = LAKE_TABLES[type];
      const dir = join(lakeDir, table);
      const hasFiles =
        existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.parquet'));
      if (hasFiles) {
        const glob = join(dir, '**', '*.parquet').replaceAll("'", "''");
        // Typed as Athena's projection types them (int). Left to detection, DuckDB reads the
        // zero-padded month=02/day=05/hour=07 as VARCHAR, casts every value to compare and
        // prunes no file. union_by_name: files written before a schema change lack its columns.
        const files = `read_parquet('${glob}', hive_partitioning = true, hive_types = {${HIVE_TYPES}}, union_by_name = true)`;
        // A column no file has yet (every file older than its schema version) is null, as
        // Athena reads a Glue column a file lacks: the views name it either way.
        const present = new Set(
          (await (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${files}`)).getRowObjectsJson()).map((r) =>
            String(r.column_name),
          ),
        );
        const missing = lakeColumns(registry, type)
          .filter((c) => !present.has(c.name))
          .map((c) => `, CAST(NULL AS ${c.duckdbType}) AS "${c.name}"`);
        await connection.run(`CREATE OR REPLACE VIEW ${table} AS SELECT *${missing.join('')} FROM ${files}`);
      } else {
        // An empty lake still answers every query, with zero rows.
        const cols = lakeColumns(registry, type).map((c) => `"${c.name}" ${c.duckdbType}`);
        await connection.run(
          `CREATE OR REPLACE TABLE ${table} (${[...cols, ...PARTITION_KEYS.map((k) => `${k} INTEGER`)].join(', ')})`,
        );
      }
    }
    const views = join(sqlDir, 'views');
    for (const f of readdirSync(views)
      .filter((f) => f.endsWith('.sql'))
      .sort())
      await this.runFile(join(views, f));
  }

  /** Runs every statement of a file. */
  async runFile(file: string): Promise<void> {
    for (const s of statements(readFileSync(file, 'utf8'))) await this.connection.run(s);
  }

  /**
   * Runs one query and returns its rows (the last statement's, for a multi-statement text).
   * `parameters` fill the `?` of that statement in order, as Athena's execution parameters:
   * literals, a number (`2026`, `80.5`) or a string in single quotes (`'production'`),
   * bound to a prepared statement (a `?` inside a string or comment is no parameter).
   * @throws ExecutionParameterError when their number, or a type the text's `-- params:`
   * header declares, does not fit the query
   */
  async query(sql: string, parameters: readonly string[] = []): Promise<Row[]> {
    const list = statements(sql);
    for (const s of list.slice(0, -1)) await this.connection.run(s);
    const prepared = await this.connection.prepare(list[list.length - 1] ?? sql);
    try {
      const bound = bindExecutionParameters(sql, prepared.parameterCount, parameters);
      if (bound.length > 0)
        prepared.bind(
          bound.map((b) => b.value),
          bound.map((b) => b.type),
        );
      const reader = await prepared.runAndReadAll();
      return reader.getRowObjectsJson() as unknown as Row[];
    } finally {
      prepared.destroySync();
    }
  }

  /** Closes the session. */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
