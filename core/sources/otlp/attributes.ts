/**
 * OTLP attributes as Pulse labels (`tags` of a MetricSample, `attributes` of a LogEvent):
 * every value as a string, within the limits every source has (core/sources/input.ts,
 * {@link LABEL_LIMITS}). An attribute beyond them (past the 50th of an event, a key
 * longer than 64 characters, a value longer than 256, the key `__proto__`) is left out
 * of that event and counted in a {@link DroppedAttributes}, which the answer reports by
 * name in `partial_success.error_message`: never dropped silently.
 */
import { LABEL_LIMITS } from '#core/sources/input.js';
import { ANY_VALUE_FIELDS, type AnyValue, int64, type KeyValue, oneofOf } from './wire.js';

/** JSON of an AnyValue for a structured value (kvlist as an object, array as an array, bytes in base64). */
function anyValueJson(v: AnyValue | null | undefined): unknown {
  if (!v) return null;
  switch (oneofOf(v, ANY_VALUE_FIELDS)) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue': {
      const n = int64(v.intValue);
      // Past 2^53 a number would round: keep the digits as a string.
      return Number.isSafeInteger(n) ? n : String(v.intValue);
    }
    case 'doubleValue':
      return Number.isFinite(v.doubleValue) ? v.doubleValue : String(v.doubleValue);
    case 'bytesValue':
      return Buffer.from(v.bytesValue ?? []).toString('base64');
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyValueJson);
    case 'kvlistValue': {
      const o: Record<string, unknown> = {};
      for (const kv of v.kvlistValue?.values ?? []) {
        if (kv.key !== '__proto__') o[kv.key] = anyValueJson(kv.value);
      }
      return o;
    }
    default:
      return null;
  }
}

/**
 * An AnyValue as one string: a string as it is; a bool, int or double as its JSON text;
 * bytes in base64; an array or kvlist as JSON; an empty value as ''.
 */
export function anyValueString(v: AnyValue | null | undefined): string {
  if (!v) return '';
  const kind = oneofOf(v, ANY_VALUE_FIELDS);
  if (kind === 'stringValue') return v.stringValue ?? '';
  if (kind === undefined) return '';
  const j = anyValueJson(v);
  return typeof j === 'string' ? j : JSON.stringify(j);
}

/** Attributes left out of events for the label limits, counted; the first few names kept for the answer. */
export class DroppedAttributes {
  /** Attribute occurrences left out (an attribute of a resource counts once per event it would have labelled). */
  count = 0;
  private readonly names = new Set<string>();

  /** Notes `key` left out of one event. */
  add(key: string): void {
    this.count++;
    if (this.names.size < 10) this.names.add(key.length > 64 ? `${key.slice(0, 61)}...` : key);
  }

  /** The sentence for `partial_success.error_message`, or '' when nothing was left out. */
  message(): string {
    if (this.count === 0) return '';
    const more = this.count > this.names.size ? ', ...' : '';
    return (
      `${this.count} attribute(s) left out of their events, beyond the label limits ` +
      `(${LABEL_LIMITS.maxEntries} per event, keys of 1-${LABEL_LIMITS.maxKeyChars} characters, values up to ${LABEL_LIMITS.maxValueChars}): ` +
      `${[...this.names].join(', ')}${more}`
    );
  }
}

/** Whether an attribute may be a label (its key and value within the limits). */
function fits(key: string, value: string): boolean {
  return (
    key.length > 0 &&
    key.length <= LABEL_LIMITS.maxKeyChars &&
    value.length <= LABEL_LIMITS.maxValueChars &&
    key !== '__proto__'
  );
}

/** Attributes as [key, string value] pairs, less the keys in `skip` (taken into fields of the event instead). */
export function attributePairs(attributes: readonly KeyValue[], skip?: ReadonlySet<string>): [string, string][] {
  const out: [string, string][] = [];
  for (const kv of attributes) {
    if (skip?.has(kv.key)) continue;
    out.push([kv.key, anyValueString(kv.value)]);
  }
  return out;
}

/**
 * The labels of one event: its own attributes first (they tell its series apart), then
 * the shared ones (resource) whose keys it does not have, then `extra` (Pulse's own
 * `otel.*` labels, which always fit), up to the limit. What does not fit goes to `dropped`.
 */
export function labelsOf(
  own: readonly KeyValue[],
  shared: readonly [string, string][],
  extra: readonly [string, string][],
  dropped: DroppedAttributes,
): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  const room = LABEL_LIMITS.maxEntries - extra.length;
  // Two plain loops, no closure: this runs once per data point.
  for (let i = 0; i < own.length; i++) {
    const kv = own[i] as KeyValue;
    const k = kv.key;
    if (Object.hasOwn(out, k)) continue;
    const v = anyValueString(kv.value);
    if (n < room && fits(k, v)) {
      out[k] = v;
      n++;
    } else dropped.add(k);
  }
  for (let i = 0; i < shared.length; i++) {
    const [k, v] = shared[i] as [string, string];
    if (Object.hasOwn(out, k)) continue;
    if (n < room && fits(k, v)) {
      out[k] = v;
      n++;
    } else dropped.add(k);
  }
  for (const [k, v] of extra) out[k] = v;
  return out;
}
