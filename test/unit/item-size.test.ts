import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemSizeBytes, significantDigits, writeUnitsOf } from '#core/cost/item-size.js';

type Item = Record<string, AttributeValue>;

/**
 * Sizes worked out by hand from DynamoDB's documented rules (name bytes + value bytes; a
 * number is one byte per two significant digits, leading and trailing zeros trimmed, plus
 * one; binary its raw length; List/Map 3 bytes plus 1 per element). The last two columns
 * are what the two former definitions gave (core/projections/window-items.ts until
 * 2fabc20, and core/cost/item-size.ts until issue 18), to show where they disagreed.
 */
const CASES: [what: string, item: Item, expected: number, oldWindowItems: number, oldCost: number][] = [
  // "12345" significant: 3 + 1 = 4; the cost copy cut the number at the point ("12")
  ['a decimal', { v: { N: '12.345' } }, 1 + 4, 1 + 4, 1 + 2],
  // "5": 1 + 1 = 2; window-items kept the zeros after the point ("005")
  ['a negative fraction', { v: { N: '-0.05' } }, 1 + 2, 1 + 3, 1 + 2],
  // "1" (the exponent is the extra byte); window-items counted "1e+21" as five digits
  ['an exponent', { v: { N: '1e+21' } }, 1 + 2, 1 + 4, 1 + 2],
  // window-items gave sets nothing; a set is the sum of its elements
  ['a string set', { tags: { SS: ['a', 'bc'] } }, 4 + 3, 4 + 0, 4 + 3],
  ['a number set', { ns: { NS: ['10', '2.5'] } }, 2 + 2 + 2, 2 + 0, 2 + 2 + 2],
  // both kept trailing zeros, which DynamoDB trims: "176500002" is 9 digits, 5 + 1 = 6
  ['a window start in ms', { ws: { N: '1765000020000' } }, 2 + 6, 2 + 8, 2 + 8],
];

describe('itemSizeBytes: the one definition of a DynamoDB item size', () => {
  it.each(CASES)('sizes %s by the documented rules', (_what, item, expected) => {
    // Act
    const size = itemSizeBytes(item);

    // Assess
    expect(size).toBe(expected);
  });

  it('sizes names and strings as UTF-8 bytes, binary as raw bytes, booleans and null as one byte', () => {
    // Prepare: 'é' is 2 bytes, '€' is 3
    const item: Item = { é: { S: '€' }, b: { B: new Uint8Array(7) }, t: { BOOL: true }, z: { NULL: true } };

    // Act / Assess
    expect(itemSizeBytes(item)).toBe(2 + 3 + (1 + 7) + (1 + 1) + (1 + 1));
  });

  it('gives a List or Map 3 bytes, and each of its elements 1 more, nested', () => {
    // Prepare
    const nested: Item = { m: { M: { a: { S: 'xy' }, b: { L: [{ N: '7' }, { BOOL: true }] } } } };
    const list = 3 + (2 + 1) + (1 + 1); // [7, true]
    const map = 3 + (1 + 2 + 1) + (1 + list + 1); // {a: 'xy', b: list}

    // Act / Assess
    expect(itemSizeBytes(nested)).toBe(1 + map);
    expect(itemSizeBytes({ m: { M: {} }, l: { L: [] } })).toBe(1 + 3 + 1 + 3);
  });

  it.each([
    ['0', 0],
    ['-0.0500', 1],
    ['100', 1],
    ['12.345', 5],
    ['1765000020000', 9],
    ['1.5E-7', 2],
    ['99999999999999999999999999999999999999', 38],
  ])('counts the significant digits of %s as %i', (n, digits) => {
    // Act / Assess
    expect(significantDigits(n)).toBe(digits);
  });

  it('bills one write unit per started kilobyte, at least one', () => {
    // Prepare: a 1-byte name and binary filling the rest
    const of = (bytes: number): Item => ({ b: { B: new Uint8Array(bytes - 1) } });

    // Act / Assess
    expect([writeUnitsOf({}), writeUnitsOf(of(1_024)), writeUnitsOf(of(1_025)), writeUnitsOf(of(2_048))]).toEqual([
      1, 1, 2, 2,
    ]);
  });
});
