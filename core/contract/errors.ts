/**
 * Errors of the event contract: decoding, encoding and schema registry.
 * Messages name what is wrong and what to do; they never include payload bytes.
 */

/** Base class of every contract error. */
export class ContractError extends Error {
  /** Stable machine-readable code, used as the quarantine reason. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The bytes do not start with the Avro single-object marker `C3 01`. */
export class BadMagicError extends ContractError {
  constructor(found: string) {
    super(
      'bad-magic',
      `not an Avro single-object encoded event: expected marker C3 01, found ${found}; the producer must encode with core/contract/single-object`,
    );
  }
}

/** The writer schema fingerprint is not in the registry. */
export class UnknownFingerprintError extends ContractError {
  /** The fingerprint as 16 lower-case hex digits (big-endian, as in the Avro spec). */
  readonly fingerprint: string;

  constructor(fingerprint: string) {
    super(
      'unknown-fingerprint',
      `unknown schema fingerprint 0x${fingerprint}: add the writer schema to schemas/ (and redeploy the reader) before producing with it`,
    );
    this.fingerprint = fingerprint;
  }
}

/** The body ends before the writer schema says it should, or has trailing bytes. */
export class TruncatedBodyError extends ContractError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      'truncated-body',
      `truncated or corrupt Avro body: ${detail}; the record cannot be decoded and is quarantined`,
      options,
    );
  }
}

/** A value does not conform to the schema it is encoded with. */
export class InvalidEventError extends ContractError {
  /** Dotted paths of the offending fields. */
  readonly fields: string[];

  constructor(schema: string, fields: string[]) {
    super('invalid-event', `event does not match schema ${schema}: invalid field(s) ${fields.join(', ')}`);
    this.fields = fields;
  }
}

/** A KPL aggregated record is malformed (bad checksum, bad protobuf). */
export class AggregationError extends ContractError {
  constructor(detail: string) {
    super('bad-aggregate', `malformed KPL aggregated record: ${detail}; the whole Kinesis record is quarantined`);
  }
}

/** A schema file is invalid, duplicated, or incompatible with an earlier version. */
export class SchemaError extends ContractError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('schema', message, options);
  }
}
