/**
 * `pulse query`: Athena-dialect SQL on DuckDB over the local lake that `pulse start`
 * wrote, with `?` parameters bound as Athena's `--execution-parameters` bind them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '#core/contract/registry.js';
import { ExecutionParameterError } from '#core/lake/execution-parameters.js';
import { LakeQuery } from '#core/lake/lake-query.js';
import { outputFormat, UsageError } from '#cli/args.js';
import type { Command } from '#cli/command.js';
import { formatTable } from '#cli/format-table.js';

const HELP = `pulse query <file.sql | "SQL"> [--param V ...]: run Athena (Trino) SQL locally on DuckDB
over the lake that pulse start wrote (<data-dir>/lake). The bronze tables metric_samples
and log_events, the silver and gold views of analytics-sql/views and the DuckDB shims of
analytics-sql/duckdb/compat.sql are there.

The --param values fill the query's ? in order, as Athena's --execution-parameters do:
each is an Athena literal, a number (2026, 80.5) or a string in single quotes ('staging';
for the shell: --param "'staging'"). They are bound to a prepared statement, never pasted
into the SQL. A file's "-- params:" header names its parameters and their types; a count or
a type that does not fit is refused, saying what the query needs (exit 2).

  pulse query analytics-sql/queries/cpu_by_host_day.sql --param 2026 --param 2 --param 5

Options:
  --param V           the value of the next ? (repeat, one per ?, in order)
  --data-dir D        the data directory of pulse start (default .data)
  --format table|json table on a terminal (default), one JSON object per row for machines
  --help              this text`;

async function query(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      param: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const text = positionals.join(' ').trim();
  if (!text)
    throw new UsageError(
      'query needs a .sql file or SQL text: pulse query "SELECT count(*) FROM silver_metric_samples"',
    );
  const format = outputFormat(values.format);
  const sql = text.endsWith('.sql') ? readSqlFile(text) : text;
  const lake = await LakeQuery.open(SchemaRegistry.load(), join(values['data-dir'] ?? '.data', 'lake'));
  try {
    const rows = await lake.query(sql, values.param ?? []).catch((error: unknown) => {
      throw error instanceof ExecutionParameterError ? new UsageError(error.message, { cause: error }) : error;
    });
    if (format === 'json') for (const r of rows) console.log(JSON.stringify(r));
    else console.log(formatTable(rows));
    return 0;
  } finally {
    lake.close();
  }
}

/** The text of a `.sql` file. @throws UsageError naming the file */
function readSqlFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: give a path to a .sql file or the SQL text itself`, { cause: error });
  }
}

/** `pulse query`: exit 2 for a query the parameters do not fit, 1 for a failing query. */
export const queryCommand: Command = {
  name: 'query',
  usage: `  pulse query <file.sql | "SQL"> [--param V ...] [options]
                            run Athena-dialect SQL on DuckDB over the local lake`,
  help: HELP,
  run: query,
};
