/**
 * The schema registry: every version of every event schema in `schemas/`,
 * parsed once per process and indexed by CRC-64-AVRO fingerprint.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { SchemaError, UnknownFingerprintError } from './errors.js';
import { EVENT_TYPES, type EventType } from './events.js';
import { fingerprintBytes, fingerprintHex, parsingCanonicalForm, schemaFingerprint } from './fingerprint.js';
import { LOGICAL_TYPES } from './timestamp-millis.js';

/** One version of one event schema. */
export interface SchemaVersion {
  /** Short record name, e.g. `MetricSample`. */
  readonly name: EventType;
  /** Version number from the file name `v<N>.avsc`. */
  readonly version: number;
  /** Path of the `.avsc` file. */
  readonly file: string;
  /** The schema as parsed JSON. */
  readonly schema: avro.Schema;
  /** The avsc type, with Pulse's logical types. */
  readonly type: avro.Type;
  /** Parsing Canonical Form. */
  readonly canonical: string;
  /** CRC-64-AVRO fingerprint of the canonical form. */
  readonly fingerprint: bigint;
  /** Fingerprint as 16 hex digits. */
  readonly fingerprintHex: string;
  /** The 10-byte single-object header: C3 01 + fingerprint little-endian. */
  readonly header: Buffer;
}

/** Default location of the schema files: `<repo>/schemas`, overridable by `PULSE_SCHEMAS_DIR`. */
export function defaultSchemasDir(): string {
  return process.env.PULSE_SCHEMAS_DIR ?? fileURLToPath(new URL('../../schemas/', import.meta.url));
}

const FILE_PATTERN = /^v(\d+)\.avsc$/;

/** Parses one schema JSON into an avsc type with Pulse's logical types. */
export function parseSchema(schema: avro.Schema): avro.Type {
  return avro.Type.forSchema(schema, { logicalTypes: LOGICAL_TYPES, wrapUnions: false });
}

/**
 * A reader schema that keeps only some fields of a version: reading with it,
 * Avro resolution skips the other fields' bytes instead of decoding them (how
 * the hot path avoids building strings and maps it never looks at).
 * `timestamp-millis` fields come back as epoch-ms numbers, not Dates.
 * @throws SchemaError naming a field the version does not have
 */
export function projectVersion(version: SchemaVersion, fields: readonly string[]): SchemaVersion {
  const schema = version.schema as { fields: { name: string }[] } & Record<string, unknown>;
  for (const f of fields) {
    if (!schema.fields.some((x) => x.name === f))
      throw new SchemaError(`${version.name} v${version.version} has no field '${f}' to project`);
  }
  // Timestamps stay epoch-ms numbers in a projection: no Date is built per event.
  const plain = (f: { name: string; type?: unknown }) =>
    typeof f.type === 'object' &&
    f.type !== null &&
    (f.type as { logicalType?: string }).logicalType === 'timestamp-millis'
      ? { ...f, type: 'long' }
      : f;
  const projected = {
    ...schema,
    fields: schema.fields.filter((f) => fields.includes(f.name)).map(plain),
  } as avro.Schema;
  return {
    ...version,
    schema: projected,
    type: parseSchema(projected),
    canonical: parsingCanonicalForm(projected),
    fingerprintHex: `${version.fingerprintHex}[${fields.join(',')}]`,
  };
}

/** Reads every `<dir>/<type>/v<N>.avsc` file. */
export function readSchemaFiles(dir: string): { file: string; version: number; schema: avro.Schema }[] {
  const out: { file: string; version: number; schema: avro.Schema }[] = [];
  for (const sub of readdirSync(dir, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    for (const name of readdirSync(join(dir, sub.name))) {
      const m = FILE_PATTERN.exec(name);
      if (!m) continue;
      const file = join(dir, sub.name, name);
      let schema: avro.Schema;
      try {
        schema = JSON.parse(readFileSync(file, 'utf8')) as avro.Schema;
      } catch (cause) {
        throw new SchemaError(`${file} is not valid JSON: fix the file`, { cause });
      }
      out.push({ file, version: Number(m[1]), schema });
    }
  }
  return out;
}

/**
 * All schema versions by name and by fingerprint, plus cached resolvers from
 * any writer version to any reader version. Build one per process.
 */
export class SchemaRegistry {
  private readonly byName = new Map<EventType, SchemaVersion[]>();
  /** Fingerprint lookup keyed by the low 32 bits (as read from the wire), then checked on the high 32. */
  private readonly byLow = new Map<number, SchemaVersion[]>();
  /** Resolvers by reader object, then writer object: projections are distinct readers even with equal names. */
  private readonly resolvers = new WeakMap<SchemaVersion, Map<SchemaVersion, avro.Resolver>>();

  constructor(entries: { file: string; version: number; schema: avro.Schema }[]) {
    for (const e of entries) this.add(e);
    for (const list of this.byName.values()) list.sort((a, b) => a.version - b.version);
  }

  /** Loads every schema under `dir` (default {@link defaultSchemasDir}). */
  static load(dir: string = defaultSchemasDir()): SchemaRegistry {
    return new SchemaRegistry(readSchemaFiles(dir));
  }

  private add(e: { file: string; version: number; schema: avro.Schema }): void {
    let type: avro.Type;
    try {
      type = parseSchema(e.schema);
    } catch (cause) {
      throw new SchemaError(`${e.file} is not a valid Avro schema: ${(cause as Error).message}`, { cause });
    }
    const short = (type.name ?? '').split('.').pop() as EventType;
    if (!EVENT_TYPES.includes(short)) {
      throw new SchemaError(`${e.file} declares record ${type.name}: expected one of ${EVENT_TYPES.join(', ')}`);
    }
    const fingerprint = schemaFingerprint(e.schema);
    const header = Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprintBytes(fingerprint)]);
    const version: SchemaVersion = {
      name: short,
      version: e.version,
      file: e.file,
      schema: e.schema,
      type,
      canonical: parsingCanonicalForm(e.schema),
      fingerprint,
      fingerprintHex: fingerprintHex(fingerprint),
      header,
    };
    const list = this.byName.get(short) ?? [];
    if (list.some((v) => v.version === e.version)) {
      throw new SchemaError(`${e.file}: ${short} v${e.version} is defined twice`);
    }
    const low = header.readUInt32LE(2);
    const same = (this.byLow.get(low) ?? []).find((v) => v.fingerprint === fingerprint);
    if (same) {
      throw new SchemaError(
        `${e.file} has the same canonical form as ${same.file}: a new version must change how data is parsed`,
      );
    }
    list.push(version);
    this.byName.set(short, list);
    this.byLow.set(low, [...(this.byLow.get(low) ?? []), version]);
  }

  private readonly projections = new Map<string, SchemaVersion>();

  /** The latest version of a type projected onto some fields (see {@link projectVersion}); one object per projection. */
  projection(name: EventType, fields: readonly string[]): SchemaVersion {
    const key = `${name}:${fields.join(',')}`;
    let p = this.projections.get(key);
    if (!p) {
      p = projectVersion(this.latest(name), fields);
      this.projections.set(key, p);
    }
    return p;
  }

  /** Every version of one event type, oldest first. */
  versions(name: EventType): readonly SchemaVersion[] {
    return this.byName.get(name) ?? [];
  }

  /** Every version of every event type. */
  all(): SchemaVersion[] {
    return [...this.byName.values()].flat();
  }

  /** Latest version of an event type. */
  latest(name: EventType): SchemaVersion {
    const list = this.versions(name);
    const last = list[list.length - 1];
    if (!last) throw new SchemaError(`no schema for ${name}: add schemas/<type>/v1.avsc`);
    return last;
  }

  /** A given version of an event type; throws naming the versions that exist. */
  version(name: EventType, version: number): SchemaVersion {
    const v = this.versions(name).find((s) => s.version === version);
    if (!v) {
      const have = this.versions(name).map((s) => `v${s.version}`);
      throw new SchemaError(`no ${name} v${version} in the registry (have ${have.join(', ') || 'none'})`);
    }
    return v;
  }

  /**
   * Looks up a writer schema by the 8 fingerprint bytes at `offset` of `buf`.
   * @throws UnknownFingerprintError naming the fingerprint
   */
  byFingerprintAt(buf: Buffer, offset: number): SchemaVersion {
    const low = buf.readUInt32LE(offset);
    const high = buf.readUInt32LE(offset + 4);
    const candidates = this.byLow.get(low);
    if (candidates) {
      for (const c of candidates) if (c.header.readUInt32LE(6) === high) return c;
    }
    throw new UnknownFingerprintError(fingerprintHex((BigInt(high) << 32n) | BigInt(low)));
  }

  /**
   * Resolver reading data written with `writer` as `reader`, or null when
   * they are the same schema. Cached: built once per pair per process.
   */
  resolver(writer: SchemaVersion, reader: SchemaVersion): avro.Resolver | null {
    if (writer === reader) return null;
    let byWriter = this.resolvers.get(reader);
    if (!byWriter) this.resolvers.set(reader, (byWriter = new Map()));
    let r = byWriter.get(writer);
    if (r === undefined) {
      try {
        r = reader.type.createResolver(writer.type);
      } catch (cause) {
        throw new SchemaError(
          `${writer.name} v${writer.version} cannot be read as ${reader.name} v${reader.version}: ${(cause as Error).message}`,
          { cause },
        );
      }
      byWriter.set(writer, r);
    }
    return r;
  }
}
