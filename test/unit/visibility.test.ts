import { describe, expect, it } from 'vitest';
import { HeldRecords } from '#core/projections/visibility.js';

describe('records made visible by flushes', () => {
  it('holds records until a flush; a flush of the state handed in shows only what was held before', () => {
    // Prepare
    const held = new HeldRecords<string>();
    // Act
    const folded = held.settle('s1', ['r1', 'r2'], false, true);
    const preFlushed = held.settle('s1', ['r3'], true, true);
    const otherShard = held.settle('s2', ['x1'], false, false);
    const final = held.settle('s1', [], true, false);
    // Assess
    expect([folded, preFlushed, otherShard, final]).toEqual([[], ['r1', 'r2'], ['x1'], ['r3']]);
  });
});
