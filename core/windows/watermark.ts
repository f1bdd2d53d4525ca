/**
 * Watermarks and lateness, Flink semantics, per shard: the watermark is the
 * highest event time seen minus the bounded out-of-orderness; a window is
 * final once `end - 1 + allowedLateness <= watermark`, and an event whose
 * window is already final is late.
 */

/** Watermark before any event: nothing is late yet. */
export const NO_WATERMARK = Number.MIN_SAFE_INTEGER;

/** The watermark after an event at `eventTime` (never goes back). */
export function advanceWatermark(watermark: number, eventTime: number, outOfOrdernessMs: number): number {
  const candidate = eventTime - outOfOrdernessMs;
  return candidate > watermark ? candidate : watermark;
}

/** True once the watermark has passed the window's end plus the allowed lateness. */
export function isWindowFinal(windowEnd: number, watermark: number, allowedLatenessMs: number): boolean {
  return windowEnd - 1 + allowedLatenessMs <= watermark;
}
