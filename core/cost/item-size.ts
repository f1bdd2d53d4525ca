/** DynamoDB's size of an item, by its documented rules (what a write is billed on). */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  // Numbers: about one byte per two significant digits, plus one.
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^[-0.]+|[.eE].*$/g, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + valueSize({ N: s }), 0);
  if (v.BS) return v.BS.reduce((n, b) => n + b.length, 0);
  if (v.L) return 3 + v.L.reduce((n, x) => n + valueSize(x) + 1, 0);
  if (v.M) return 3 + itemSizeBytes(v.M) + Object.keys(v.M).length;
  return 0;
}

/** Bytes of an item: attribute names plus values. */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [name, v] of Object.entries(item)) n += Buffer.byteLength(name) + valueSize(v);
  return n;
}

/** Write units DynamoDB bills for writing an item: one per started kilobyte. */
export function writeUnitsOf(item: Record<string, AttributeValue>): number {
  return Math.max(1, Math.ceil(itemSizeBytes(item) / 1_024));
}
