/**
 * Lambda's tumbling windows for a Kinesis event source mapping (stateful processing), as
 * plain values: a shard's open window, its bounds, the event an invocation gets, and the
 * state a response carries. The mapping decides when a window ends
 * (see `EventSourceMappingOptions.tumblingWindowSeconds`).
 */
import type { LambdaKinesisEventRecord, LambdaKinesisWindowEvent } from '#core/lambda/events.js';

/** Lambda's limit on a tumbling window's state (its JSON); past it the window ends early. */
export const MAX_STATE_BYTES = 1_048_576;

/** A shard's open tumbling window. */
export interface TumblingWindow {
  /** Bounds in ms since the epoch: [start, end). */
  start: number;
  end: number;
  /** The state's JSON: each invocation gets a parse of its own. */
  state: string;
  /** True once an invocation's state was taken since the window began (or went on after ending early). */
  invoked: boolean;
  /** The shard's checkpoint when the window began (or went on after ending early). */
  startAfter: string | undefined;
}

/**
 * The window of `sizeSeconds` that holds a record which arrived at `arrival` (ms since the
 * epoch): aligned on multiples of the size since the epoch, `[start, start + size)`, with
 * an empty state, opened with the shard's checkpoint at `after`.
 */
export function openWindow(arrival: number, sizeSeconds: number, after: string | undefined): TumblingWindow {
  const size = sizeSeconds * 1000;
  const start = Math.floor(arrival / size) * size;
  return { start, end: start + size, state: '{}', invoked: false, startAfter: after };
}

/** A window's event: `records` of the window (none for its final invocation) and a copy of its state. */
export function windowEvent(
  w: TumblingWindow,
  at: { shardId: string; eventSourceARN: string },
  records: LambdaKinesisEventRecord[],
  final: boolean,
  early = false,
): LambdaKinesisWindowEvent {
  return {
    Records: records,
    window: { start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() },
    state: JSON.parse(w.state) as Record<string, unknown>,
    shardId: at.shardId,
    eventSourceARN: at.eventSourceARN,
    isFinalInvokeForWindow: final,
    isWindowTerminatedEarly: early,
  };
}

/** True when the window took a state whose JSON passes {@link MAX_STATE_BYTES}: it ends early. */
export function stateIsFull(w: TumblingWindow | undefined): boolean {
  return !!w?.invoked && Buffer.byteLength(w.state) > MAX_STATE_BYTES;
}

/**
 * The JSON of a window response's state, or undefined when it has none (not an object,
 * or not JSON: Lambda could not have received it).
 */
export function stateJson(response: unknown): string | undefined {
  const state = (response as { state?: unknown } | null | undefined)?.state;
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
  try {
    return JSON.stringify(state);
  } catch {
    return undefined;
  }
}
