/**
 * The Avro `timestamp-millis` logical type for avsc (which ships none):
 * a `long` of milliseconds since the Unix epoch, UTC, surfaced as a `Date`.
 */
import avro from 'avsc';

/** avsc logical type mapping `{"type":"long","logicalType":"timestamp-millis"}` to `Date`. */
export class TimestampMillisType extends avro.types.LogicalType {
  /** Wire value (ms) to Date. */
  override _fromValue(value: number): Date {
    return new Date(value);
  }

  /** Date (or integral ms) to wire value; undefined marks the value invalid. */
  override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) {
      const ms = value.getTime();
      return Number.isSafeInteger(ms) ? ms : undefined;
    }
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
  }

  /** Reads from a writer `long` or another `timestamp-millis`; anything else is incompatible. */
  override _resolve(type: avro.Type): ((v: number) => number) | undefined {
    if (avro.Type.isType(type, 'long', 'logical:timestamp-millis')) return (v: number) => v;
    return undefined;
  }
}

/** The logical types Pulse registers with avsc. */
export const LOGICAL_TYPES = { 'timestamp-millis': TimestampMillisType } as const;
