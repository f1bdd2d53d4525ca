/**
 * Full-transitive schema compatibility: every version of a type must read data
 * written by every other version, in both directions.
 */
import avro from 'avsc';
import type { SchemaRegistry, SchemaVersion } from './registry.js';

/** One failed (writer → reader) pair. */
export interface Incompatibility {
  writer: SchemaVersion;
  reader: SchemaVersion;
  /** What avsc reported, e.g. the field without a default. */
  reason: string;
}

/**
 * Checks whether `reader` can read data written with `writer`.
 * @returns undefined when it can, else a reason naming each offending field
 */
export function canRead(reader: SchemaVersion, writer: SchemaVersion): string | undefined {
  try {
    reader.type.createResolver(writer.type);
    return undefined;
  } catch (error) {
    return fieldReasons(reader.type, writer.type) ?? (error as Error).message;
  }
}

/** For two record types, names the reader fields that make resolution fail. */
function fieldReasons(reader: avro.Type, writer: avro.Type): string | undefined {
  if (!(reader instanceof avro.types.RecordType) || !(writer instanceof avro.types.RecordType)) return undefined;
  const reasons: string[] = [];
  for (const field of reader.fields) {
    const names = [field.name, ...field.aliases];
    const source = writer.fields.find((w) => names.includes(w.name));
    if (!source) {
      if (field.defaultValue() === undefined)
        reasons.push(`field '${field.name}' is missing in the writer and has no default`);
      continue;
    }
    try {
      field.type.createResolver(source.type);
    } catch (error) {
      reasons.push(`field '${field.name}': ${(error as Error).message}`);
    }
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/** Every incompatible (writer, reader) pair of every type in the registry; empty means full-transitive. */
export function checkFullTransitive(registry: SchemaRegistry): Incompatibility[] {
  const out: Incompatibility[] = [];
  const byName = new Map<string, SchemaVersion[]>();
  for (const v of registry.all()) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
  for (const versions of byName.values()) {
    for (const writer of versions) {
      for (const reader of versions) {
        if (writer === reader) continue;
        const reason = canRead(reader, writer);
        if (reason) out.push({ writer, reader, reason });
      }
    }
  }
  return out;
}

/** A human message for one incompatibility, naming the versions and the field. */
export function describeIncompatibility(i: Incompatibility): string {
  return `${i.reader.name} v${i.reader.version} cannot read data written by v${i.writer.version}: ${i.reason} (give new fields a default; never remove a field without one or change its type)`;
}
