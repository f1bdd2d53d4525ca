import { describe, expect, it } from 'vitest';
import { MAX_STATE_BYTES, openWindow, stateIsFull, stateJson, windowEvent } from '#local/tumbling-window.js';

describe('openWindow: epoch-aligned [start, start + size)', () => {
  it('puts arrivals at 0, 4,999 ms in [0, 5,000) and 5,000 ms in [5,000, 10,000) for 5 s windows', () => {
    // Act
    const bounds = [0, 4_999, 5_000, 9_999].map((at) => {
      const w = openWindow(at, 5, 'after-1');
      return [w.start, w.end];
    });

    // Assess
    expect(bounds).toEqual([
      [0, 5_000],
      [0, 5_000],
      [5_000, 10_000],
      [5_000, 10_000],
    ]);
  });

  it('opens with an empty state, not yet invoked, remembering the checkpoint it began at', () => {
    // Act
    const w = openWindow(61_000, 60, '49590');

    // Assess
    expect(w).toEqual({ start: 60_000, end: 120_000, state: '{}', invoked: false, startAfter: '49590' });
  });
});

describe('window state', () => {
  it('takes an object as the state and refuses anything else, as Lambda does', () => {
    // Prepare
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;

    // Act
    const states = [{ state: { a: 1 } }, { state: {} }, { state: [] }, { state: null }, { state: 'x' }, {}, undefined];
    const json = states.map(stateJson);
    const cyclicJson = stateJson({ state: cyclic });

    // Assess
    expect(json).toEqual(['{"a":1}', '{}', undefined, undefined, undefined, undefined, undefined]);
    expect(cyclicJson).toBeUndefined();
  });

  it('ends a window early once its taken state passes 1 MB, not at exactly 1 MB', () => {
    // Prepare: '"' + 'x' * n + '"' is n + 2 bytes
    const atLimit = { ...openWindow(0, 60, undefined), invoked: true, state: `"${'x'.repeat(MAX_STATE_BYTES - 2)}"` };
    const past = { ...atLimit, state: `"${'x'.repeat(MAX_STATE_BYTES - 1)}"` };
    const notTaken = { ...past, invoked: false };

    // Act
    const full = [stateIsFull(atLimit), stateIsFull(past), stateIsFull(notTaken), stateIsFull(undefined)];

    // Assess
    expect(full).toEqual([false, true, false, false]);
  });

  it("gives each invocation a copy of the window's state in Lambda's window event", () => {
    // Prepare
    const w = { ...openWindow(0, 60, undefined), state: '{"n":1}' };
    const at = { shardId: 'shardId-000000000000', eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s' };

    // Act
    const first = windowEvent(w, at, [], false);
    (first.state as { n: number }).n = 2;
    const final = windowEvent(w, at, [], true, true);

    // Assess
    expect(final).toEqual({
      Records: [],
      window: { start: '1970-01-01T00:00:00.000Z', end: '1970-01-01T00:01:00.000Z' },
      state: { n: 1 },
      shardId: 'shardId-000000000000',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
      isFinalInvokeForWindow: true,
      isWindowTerminatedEarly: true,
    });
  });
});
