/**
 * Athena execution parameters on DuckDB: the `?` of a query filled in order with
 * literal values, as `aws athena start-query-execution --execution-parameters` fills
 * them, and the `-- params:` header in which each analytics-sql/queries file declares
 * them. The values are bound to a prepared statement, never pasted into the SQL.
 */
import { BIGINT, DOUBLE, type DuckDBType, INTEGER, VARCHAR } from '@duckdb/node-api';

/** Parameters that do not fit a query: their number, a literal or a header. */
export class ExecutionParameterError extends Error {}

/** The types a `-- params:` header may declare (Athena's names). */
export const PARAMETER_TYPES = ['INTEGER', 'DOUBLE', 'VARCHAR'] as const;

/** One of {@link PARAMETER_TYPES}. */
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** One `?` as a query file's header declares it: `year INTEGER`. */
export interface DeclaredParameter {
  name: string;
  type: ParameterType;
}

/** A value ready to bind to a prepared statement, with its DuckDB type. */
export interface BoundParameter {
  value: number | bigint | string;
  type: DuckDBType;
}

/** `-- params: year INTEGER, month INTEGER` (or `-- params: none`), on a line of its own. */
const HEADER = /^--\s*params:(.*)$/m;
const INTEGER_LITERAL = /^[+-]?\d+$/;
const NUMBER_LITERAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const STRING_LITERAL = /^'(?:[^']|'')*'$/;
const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;

/**
 * The parameters a query's `-- params:` header declares, in the order of its `?`:
 * `[]` for `-- params: none`, `undefined` when the text has no header (SQL typed on
 * the command line). @throws ExecutionParameterError naming a malformed entry
 */
export function declaredParameters(sql: string): DeclaredParameter[] | undefined {
  const header = HEADER.exec(sql)?.[1]?.trim();
  if (header === undefined) return undefined;
  if (header === 'none') return [];
  return header.split(',').map((entry) => {
    const [name, type, ...rest] = entry.trim().split(/\s+/);
    if (!name || !/^[a-z_][a-z0-9_]*$/.test(name) || !PARAMETER_TYPES.includes(type as ParameterType) || rest.length) {
      throw new ExecutionParameterError(
        `the -- params header has '${entry.trim()}': write 'name TYPE' per ?, TYPE one of ${PARAMETER_TYPES.join(', ')}`,
      );
    }
    return { name, type: type as ParameterType };
  });
}

/** `year INTEGER, month INTEGER`: how an error names the declared parameters. */
function listed(declared: readonly DeclaredParameter[]): string {
  return declared.map((p) => `${p.name} ${p.type}`).join(', ');
}

/**
 * One Athena literal as a bound value: an integer (`2026`; INTEGER, or BIGINT beyond
 * 32 bits), a decimal or exponent number (`80.5`, `8e1`; DOUBLE) or a string in single
 * quotes (`'production'`, `''` inside for a quote; VARCHAR). With a declaration, the
 * literal must be of its type (an integer is also a DOUBLE) and is bound as that type.
 * @throws ExecutionParameterError naming the parameter and what to give instead
 */
export function parseLiteral(literal: string, position: number, declared?: DeclaredParameter): BoundParameter {
  const text = literal.trim();
  const which = `parameter ${position}${declared ? ` (${declared.name} ${declared.type})` : ''}`;
  const fail = (what: string) => new ExecutionParameterError(`${which} is ${what}`);
  let bound: BoundParameter;
  if (STRING_LITERAL.test(text)) bound = { value: text.slice(1, -1).replaceAll("''", "'"), type: VARCHAR };
  else if (INTEGER_LITERAL.test(text)) {
    const n = BigInt(text);
    if (n < INT64[0] || n > INT64[1]) throw fail(`${text}, beyond a 64-bit integer`);
    bound = n >= INT32[0] && n <= INT32[1] ? { value: Number(n), type: INTEGER } : { value: n, type: BIGINT };
  } else if (NUMBER_LITERAL.test(text)) bound = { value: Number(text), type: DOUBLE };
  else
    throw fail(
      `'${literal}', not an Athena literal: give a number (2026, 80.5) or a string in single quotes ('production')`,
    );
  if (!declared) return bound;
  const kind = bound.type === VARCHAR ? 'VARCHAR' : bound.type === DOUBLE ? 'DOUBLE' : 'INTEGER';
  if (declared.type === 'DOUBLE' && kind !== 'VARCHAR') return { value: Number(text), type: DOUBLE };
  if (declared.type === 'INTEGER' && bound.type === BIGINT) throw fail(`${text}, beyond a 32-bit INTEGER`);
  if (declared.type !== kind) {
    const give = {
      INTEGER: 'a whole number (5)',
      DOUBLE: 'a number (80.5)',
      VARCHAR: "a string in single quotes ('x')",
    };
    throw fail(`${literal}, ${kind === 'INTEGER' ? 'an' : 'a'} ${kind} literal: give ${give[declared.type]}`);
  }
  return bound;
}

/**
 * The values for a query's `?`, in order, from Athena literals: as many as the query
 * has placeholders (`placeholders`, from DuckDB's prepared statement) and, when the
 * text has a `-- params:` header, as many and of the types it declares.
 * @throws ExecutionParameterError saying how many the query needs and how many were given
 */
export function bindExecutionParameters(
  sql: string,
  placeholders: number,
  literals: readonly string[],
): BoundParameter[] {
  const declared = declaredParameters(sql);
  if (declared && declared.length !== placeholders) {
    throw new ExecutionParameterError(
      `the -- params header declares ${declared.length} parameters (${listed(declared) || 'none'}) but the query has ${placeholders} ?: declare one per ?, in order`,
    );
  }
  if (literals.length !== placeholders) {
    const which = declared && declared.length > 0 ? ` (${listed(declared)})` : ' (one per ?)';
    throw new ExecutionParameterError(
      `the query needs ${placeholders} parameter${placeholders === 1 ? '' : 's'}${placeholders > 0 ? which : ''} and got ${literals.length}: give one value per ?, in order`,
    );
  }
  return literals.map((l, i) => parseLiteral(l, i + 1, declared?.[i]));
}
