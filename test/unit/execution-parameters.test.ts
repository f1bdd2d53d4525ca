import { BIGINT, DOUBLE, INTEGER, VARCHAR } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bindExecutionParameters,
  declaredParameters,
  ExecutionParameterError,
  parseLiteral,
} from '#core/lake/execution-parameters.js';

const DAY_QUERY = `-- A day's query.
-- params: year INTEGER, month INTEGER, day INTEGER
SELECT 1 FROM t WHERE year = ? AND month = ? AND day = ?`;

describe('parseLiteral: Athena literals as bound values', () => {
  it.each([
    ['2026', 2026, INTEGER],
    ['-2147483648', -2147483648, INTEGER],
    ['2147483647', 2147483647, INTEGER],
    ['2147483648', 2147483648n, BIGINT],
    ['-2147483649', -2147483649n, BIGINT],
    ['9223372036854775807', 9223372036854775807n, BIGINT],
    ['80.5', 80.5, DOUBLE],
    ['.5', 0.5, DOUBLE],
    ['8e1', 80, DOUBLE],
    [' 5 ', 5, INTEGER],
    ["'production'", 'production', VARCHAR],
    ["''", '', VARCHAR],
    ["'it''s'", "it's", VARCHAR],
    ["'2026'", '2026', VARCHAR],
  ])('%s → %s', (literal, value, type) => {
    expect(parseLiteral(literal, 1)).toEqual({ value, type });
  });

  it.each([
    [
      'production',
      "parameter 1 is 'production', not an Athena literal: give a number (2026, 80.5) or a string in single quotes ('production')",
    ],
    [
      '"production"',
      `parameter 1 is '"production"', not an Athena literal: give a number (2026, 80.5) or a string in single quotes ('production')`,
    ],
    [
      "'it's'",
      "parameter 1 is ''it's'', not an Athena literal: give a number (2026, 80.5) or a string in single quotes ('production')",
    ],
    [
      '2026-02-05',
      "parameter 1 is '2026-02-05', not an Athena literal: give a number (2026, 80.5) or a string in single quotes ('production')",
    ],
    [
      '',
      "parameter 1 is '', not an Athena literal: give a number (2026, 80.5) or a string in single quotes ('production')",
    ],
    ['9223372036854775808', 'parameter 1 is 9223372036854775808, beyond a 64-bit integer'],
  ])('refuses %j', (literal, message) => {
    expect(() => parseLiteral(literal, 1)).toThrow(new ExecutionParameterError(message));
  });

  it('binds as the declared type, which the literal must be', () => {
    expect(parseLiteral('80', 3, { name: 'threshold', type: 'DOUBLE' })).toEqual({ value: 80, type: DOUBLE });
    expect(parseLiteral('02', 2, { name: 'month', type: 'INTEGER' })).toEqual({ value: 2, type: INTEGER });
    expect(() => parseLiteral('80.5', 1, { name: 'year', type: 'INTEGER' })).toThrow(
      'parameter 1 (year INTEGER) is 80.5, a DOUBLE literal: give a whole number (5)',
    );
    expect(() => parseLiteral("'5'", 3, { name: 'day', type: 'INTEGER' })).toThrow(
      "parameter 3 (day INTEGER) is '5', a VARCHAR literal: give a whole number (5)",
    );
    expect(() => parseLiteral('2147483648', 1, { name: 'year', type: 'INTEGER' })).toThrow(
      'parameter 1 (year INTEGER) is 2147483648, beyond a 32-bit INTEGER',
    );
    expect(() => parseLiteral('5', 1, { name: 'env', type: 'VARCHAR' })).toThrow(
      "parameter 1 (env VARCHAR) is 5, an INTEGER literal: give a string in single quotes ('x')",
    );
  });

  it('reads back any string quoted as Athena quotes it', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(parseLiteral(`'${s.replaceAll("'", "''")}'`, 1)).toEqual({ value: s, type: VARCHAR });
      }),
    );
  });

  it('reads back any 32-bit integer as INTEGER', () => {
    fc.assert(
      fc.property(fc.integer(), (n) => {
        expect(parseLiteral(String(n), 1)).toEqual({ value: n, type: INTEGER });
      }),
    );
  });
});

describe('declaredParameters: the -- params header', () => {
  it('lists the parameters in order; none for "none"; undefined without a header', () => {
    expect(declaredParameters(DAY_QUERY)).toEqual([
      { name: 'year', type: 'INTEGER' },
      { name: 'month', type: 'INTEGER' },
      { name: 'day', type: 'INTEGER' },
    ]);
    expect(declaredParameters('-- params: none\nSELECT 1')).toEqual([]);
    expect(declaredParameters('SELECT 1 WHERE x = ?')).toBeUndefined();
  });

  it('refuses an entry that is not "name TYPE"', () => {
    expect(() => declaredParameters('-- params: year INT\nSELECT 1')).toThrow(
      "the -- params header has 'year INT': write 'name TYPE' per ?, TYPE one of INTEGER, DOUBLE, VARCHAR",
    );
    expect(() => declaredParameters('-- params: year\nSELECT 1')).toThrow("the -- params header has 'year'");
  });
});

describe('bindExecutionParameters: one value per ?, in order', () => {
  it('binds each literal to its ?', () => {
    expect(bindExecutionParameters(DAY_QUERY, 3, ['2026', '2', '5'])).toEqual([
      { value: 2026, type: INTEGER },
      { value: 2, type: INTEGER },
      { value: 5, type: INTEGER },
    ]);
    expect(bindExecutionParameters('SELECT 1', 0, [])).toEqual([]);
  });

  it('names how many the query needs and how many were given', () => {
    expect(() => bindExecutionParameters(DAY_QUERY, 3, ['2026', '2'])).toThrow(
      new ExecutionParameterError(
        'the query needs 3 parameters (year INTEGER, month INTEGER, day INTEGER) and got 2: give one value per ?, in order',
      ),
    );
    expect(() => bindExecutionParameters('SELECT 1 WHERE x = ?', 1, [])).toThrow(
      'the query needs 1 parameter (one per ?) and got 0: give one value per ?, in order',
    );
    expect(() => bindExecutionParameters('SELECT 1', 0, ['5'])).toThrow(
      'the query needs 0 parameters and got 1: give one value per ?, in order',
    );
  });

  it('refuses a header that declares another number than the query has', () => {
    expect(() => bindExecutionParameters(DAY_QUERY, 2, ['2026', '2'])).toThrow(
      'the -- params header declares 3 parameters (year INTEGER, month INTEGER, day INTEGER) but the query has 2 ?: declare one per ?, in order',
    );
  });
});
