/**
 * Avro single-object encoding: `C3 01`, the 8-byte little-endian CRC-64-AVRO
 * fingerprint of the writer schema, then the Avro binary body.
 */
import type avro from 'avsc';
import { BadMagicError, InvalidEventError, TruncatedBodyError } from './errors.js';
import type { EventOf, EventType } from './events.js';
import type { SchemaRegistry, SchemaVersion } from './registry.js';

const HEADER = 10;

/**
 * Encodes events into single-object bytes, reusing one scratch buffer so that
 * encoding allocates only the returned copy.
 */
export class SingleObjectEncoder {
  private scratch = Buffer.allocUnsafe(4096);

  /**
   * Encodes one event with a given writer schema version.
   * @throws InvalidEventError naming the invalid fields (never their values)
   */
  encode<T extends EventType>(writer: SchemaVersion, event: EventOf[T]): Buffer {
    const reserved = reservedMapKeys(event as unknown as Record<string, unknown>);
    if (reserved.length > 0) throw new InvalidEventError(`${writer.name} v${writer.version}`, reserved);
    for (;;) {
      writer.header.copy(this.scratch, 0);
      let end: number;
      try {
        end = writer.type.encode(event, this.scratch, HEADER);
      } catch {
        throw new InvalidEventError(`${writer.name} v${writer.version}`, invalidPaths(writer, event));
      }
      if (end >= 0) return Buffer.from(this.scratch.subarray(0, end));
      this.scratch = Buffer.allocUnsafe(this.scratch.length * 2 - end);
    }
  }
}

/**
 * Map fields whose keys include `__proto__`: JavaScript readers (avsc among them)
 * cannot give that key back as data, so it would be lost silently.
 */
function reservedMapKeys(event: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const field of ['tags', 'attributes']) {
    const map = event[field];
    if (map && typeof map === 'object' && Object.hasOwn(map, '__proto__')) out.push(`${field}.__proto__`);
  }
  return out;
}

function invalidPaths(writer: SchemaVersion, event: unknown): string[] {
  const paths: string[] = [];
  writer.type.isValid(event, { errorHook: (path) => paths.push(path.join('.') || '(root)') });
  return paths.length > 0 ? paths : ['(root)'];
}

/** An event decoded from single-object bytes. */
export interface DecodedObject<T extends EventType = EventType> {
  /** Event type name. */
  type: T;
  /** The event, in the reader's schema version. */
  event: EventOf[T];
  /** Writer schema version found on the wire. */
  writer: SchemaVersion;
}

/**
 * Which reader to use per event type: a version number, or a projection of the
 * latest version onto some fields (`{ fields: [...] }`); the default is the latest.
 */
export type ReaderVersions = Partial<Record<EventType, number | { fields: readonly string[] }>>;

/**
 * Decodes single-object bytes, resolving any registered writer version to the
 * reader version chosen per event type.
 */
export class SingleObjectDecoder {
  private readonly readers = new Map<EventType, SchemaVersion>();
  /** Per writer version: the reader version and the resolver (undefined when they are the same). */
  private readonly plans = new Map<SchemaVersion, { reader: SchemaVersion; resolver: avro.Resolver | undefined }>();

  constructor(
    private readonly registry: SchemaRegistry,
    readers: ReaderVersions = {},
  ) {
    for (const v of registry.all()) {
      if (!this.readers.has(v.name)) {
        const want = readers[v.name];
        this.readers.set(
          v.name,
          want === undefined
            ? registry.latest(v.name)
            : typeof want === 'number'
              ? registry.version(v.name, want)
              : registry.projection(v.name, want.fields),
        );
      }
    }
  }

  /**
   * Decodes one event.
   * @throws BadMagicError, UnknownFingerprintError, TruncatedBodyError
   */
  decode(bytes: Buffer): DecodedObject {
    return this.decodeAt(bytes, 0, bytes.length);
  }

  /**
   * Decodes the event occupying `bytes[start, end)` in place (no copy): how the
   * hot path reads user records inside a KPL aggregate.
   * @throws BadMagicError, UnknownFingerprintError, TruncatedBodyError
   */
  decodeAt(bytes: Buffer, start: number, end: number): DecodedObject {
    const length = end - start;
    if (length < 2 || bytes[start] !== 0xc3 || bytes[start + 1] !== 0x01) {
      throw new BadMagicError(
        length <= 0 ? 'an empty record' : bytes.toString('hex', start, start + Math.min(2, length)),
      );
    }
    if (length < HEADER) throw new TruncatedBodyError(`${length} bytes, the header alone needs ${HEADER}`);
    const writer = this.registry.byFingerprintAt(bytes, start + 2);
    let plan = this.plans.get(writer);
    if (!plan) {
      const reader = this.readers.get(writer.name) as SchemaVersion;
      plan = { reader, resolver: this.registry.resolver(writer, reader) ?? undefined };
      this.plans.set(writer, plan);
    }
    let result: { value: unknown; offset: number };
    try {
      result = plan.reader.type.decode(bytes, start + HEADER, plan.resolver);
    } catch (cause) {
      throw new TruncatedBodyError(`${writer.name} v${writer.version} body does not parse`, { cause });
    }
    if (result.offset < 0 || result.offset > end) {
      throw new TruncatedBodyError(`${writer.name} v${writer.version} body ends early (${length} bytes)`);
    }
    if (result.offset !== end) {
      throw new TruncatedBodyError(
        `${end - result.offset} trailing bytes after a ${writer.name} v${writer.version} body`,
      );
    }
    return { type: writer.name, event: result.value as EventOf[EventType], writer };
  }
}
