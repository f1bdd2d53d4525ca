import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeMarks, encodeMarks, MAX_MARK_BYTES } from '../../core/projections/checkpoints.js';
import type { ShardState } from '../../core/windows/fold.js';

/** `n` marks of distinct random producers, the i-th seen at time i. */
function state(n: number): ShardState {
  const marks: ShardState['marks'] = new Map();
  for (let i = 0; i < n; i++)
    marks.set(`ingest-api:${randomUUID()}`, new Map([[`host-${i % 7}`, { seq: i + 1, seenAt: i }]]));
  return { watermark: 0, marks };
}

describe('checkpoint producer marks', () => {
  it('round-trips marks that fit', () => {
    // Prepare
    const s = state(100);

    // Act
    const back = decodeMarks(encodeMarks(s));

    // Assess
    expect(back).toEqual(s.marks);
  });

  it('keeps the item under DynamoDB’s limit with many producers, dropping the least recently seen', () => {
    // Prepare: 50,000 random producer ids deflate to far more than an item holds
    const s = state(50_000);

    // Act
    const encoded = encodeMarks(s);
    const back = decodeMarks(encoded);

    // Assess
    expect(encoded.length).toBeLessThanOrEqual(MAX_MARK_BYTES);
    expect(back.size).toBeGreaterThan(5_000);
    expect(back.size).toBeLessThan(50_000);
    const seen = [...back.values()].map((hosts) => [...hosts.values()][0]?.seenAt as number);
    expect(Math.min(...seen)).toBe(50_000 - back.size); // exactly the most recent ones
  });
});
