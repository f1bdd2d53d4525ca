/**
 * Tumbling event-time windows, Flink style: a window is `[start, end)` of event
 * time; assignment is one pure function of (timestamp, size, offset).
 */

/** A tumbling window `[start, end)` in epoch milliseconds. */
export interface TimeWindow {
  start: number;
  end: number;
}

/**
 * Start of the window of `size` ms (shifted by `offset` ms) that holds `timestamp`.
 * Works for timestamps before the epoch too (floor, not truncation).
 */
export function windowStart(timestamp: number, size: number, offset = 0): number {
  const rem = (timestamp - offset) % size;
  return timestamp - (rem < 0 ? rem + size : rem);
}

/** The window of `size` ms (shifted by `offset`) that holds `timestamp`. */
export function assignWindow(timestamp: number, size: number, offset = 0): TimeWindow {
  const start = windowStart(timestamp, size, offset);
  return { start, end: start + size };
}

/** Flink's `maxTimestamp()`: the last millisecond that belongs to the window. */
export function maxTimestamp(window: TimeWindow): number {
  return window.end - 1;
}
