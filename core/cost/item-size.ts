/**
 * DynamoDB's size of an item, by its documented rules (what a write and a read are
 * billed on, and what the 400 KB limit counts): the one definition Pulse uses, for the
 * hot path's WriteUnits, the cost model, local mode's summary and the benches.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** Bytes of a List or Map whatever it holds, and of each of its elements. */
const CONTAINER_OVERHEAD = 3;
const ELEMENT_OVERHEAD = 1;

/**
 * Significant digits of a DynamoDB number string: sign, decimal point and exponent
 * aside (the exponent is the "+ 1 byte"), with leading and trailing zeros trimmed
 * ("-0.0500" → 1, "1765000020000" → 9, "12.345" → 5, "0" → 0).
 */
export function significantDigits(n: string): number {
  const mantissa = n
    .trim()
    .replace(/^[+-]/, '')
    .replace(/[eE].*$/, '');
  return mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
}

/** Bytes of a number: one per two significant digits, plus one. */
export function numberSizeBytes(n: string): number {
  return Math.ceil(significantDigits(n) / 2) + 1;
}

/** Bytes of one attribute value (without its name). */
export function valueSizeBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return numberSizeBytes(v.N);
  // (binary is sent as base64; its raw length counts)
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  // Sets: the sum of their elements (no overhead is documented for them).
  if (v.SS) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + numberSizeBytes(s), 0);
  if (v.BS) return v.BS.reduce((n, b) => n + b.length, 0);
  if (v.L) return CONTAINER_OVERHEAD + v.L.reduce((n, x) => n + valueSizeBytes(x) + ELEMENT_OVERHEAD, 0);
  if (v.M) return CONTAINER_OVERHEAD + itemSizeBytes(v.M) + ELEMENT_OVERHEAD * Object.keys(v.M).length;
  return 0;
}

/** Bytes of an item: the UTF-8 length of every attribute name plus the size of its value. */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [name, v] of Object.entries(item)) n += Buffer.byteLength(name) + valueSizeBytes(v);
  return n;
}

/** Write units DynamoDB bills for writing an item: one per started kilobyte (at least one). */
export function writeUnitsOf(item: Record<string, AttributeValue>): number {
  return Math.max(1, Math.ceil(itemSizeBytes(item) / 1_024));
}
