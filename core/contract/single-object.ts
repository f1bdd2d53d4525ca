/**
 * Avro single-object encoding: `C3 01`, the 8-byte little-endian CRC-64-AVRO
 * fingerprint of the writer schema, then the Avro binary body.
 */
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

/** Which reader version to use per event type; the default is the latest. */
export type ReaderVersions = Partial<Record<EventType, number>>;

/**
 * Decodes single-object bytes, resolving any registered writer version to the
 * reader version chosen per event type.
 */
export class SingleObjectDecoder {
  private readonly readers = new Map<EventType, SchemaVersion>();

  constructor(
    private readonly registry: SchemaRegistry,
    readers: ReaderVersions = {},
  ) {
    for (const v of registry.all()) {
      if (!this.readers.has(v.name)) {
        const want = readers[v.name];
        this.readers.set(v.name, want === undefined ? registry.latest(v.name) : registry.version(v.name, want));
      }
    }
  }

  /**
   * Decodes one event.
   * @throws BadMagicError, UnknownFingerprintError, TruncatedBodyError
   */
  decode(bytes: Buffer): DecodedObject {
    if (bytes.length < 2 || bytes[0] !== 0xc3 || bytes[1] !== 0x01) {
      throw new BadMagicError(bytes.length === 0 ? 'an empty record' : `${bytes.subarray(0, 2).toString('hex')}`);
    }
    if (bytes.length < HEADER) throw new TruncatedBodyError(`${bytes.length} bytes, the header alone needs ${HEADER}`);
    const writer = this.registry.byFingerprintAt(bytes, 2);
    const reader = this.readers.get(writer.name) as SchemaVersion;
    const resolver = this.registry.resolver(writer, reader);
    let result: { value: unknown; offset: number };
    try {
      result = reader.type.decode(bytes, HEADER, resolver ?? undefined);
    } catch (cause) {
      throw new TruncatedBodyError(`${writer.name} v${writer.version} body does not parse`, { cause });
    }
    if (result.offset < 0) {
      throw new TruncatedBodyError(`${writer.name} v${writer.version} body ends early (${bytes.length} bytes)`);
    }
    if (result.offset !== bytes.length) {
      throw new TruncatedBodyError(
        `${bytes.length - result.offset} trailing bytes after a ${writer.name} v${writer.version} body`,
      );
    }
    return { type: writer.name, event: result.value as EventOf[EventType], writer };
  }
}
