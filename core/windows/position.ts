/**
 * Stream positions: (sequence number, sub-sequence number). Sequence numbers are
 * decimal strings of up to 129 digits, so they are compared as strings of equal
 * length (they carry no leading zeros), never as JavaScript numbers.
 */

/** Compares two sequence numbers: negative, zero or positive. */
export function compareSeq(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares (seq, sub) positions. */
export function comparePosition(aSeq: string, aSub: number, bSeq: string, bSub: number): number {
  return compareSeq(aSeq, bSeq) || aSub - bSub;
}

/** `seq:sub`, the stored form of a position fence. */
export function formatPosition(seq: string, sub: number): string {
  return `${seq}:${sub}`;
}

/** Parses {@link formatPosition}. */
export function parsePosition(s: string): { seq: string; sub: number } {
  const i = s.indexOf(':');
  return { seq: s.slice(0, i), sub: Number(s.slice(i + 1)) };
}

/** Sortable key of a position (fixed width), for side-output sort keys. */
export function positionSortKey(seq: string, sub: number): string {
  return `${seq.padStart(130, '0')}#${String(sub).padStart(7, '0')}`;
}
