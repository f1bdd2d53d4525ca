/**
 * Avro Parsing Canonical Form and the CRC-64-AVRO (Rabin) fingerprint.
 *
 * Written by hand because avsc offers only MD5/SHA-256 fingerprints and its
 * canonicaliser rejects some schemas the spec's test vectors use. Both follow
 * the Avro 1.11 specification, section "Schema Resolution / Parsing Canonical Form".
 */
import { SchemaError } from './errors.js';

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
/** Attributes kept by the [STRIP] rule, in the order the [ORDER] rule mandates. */
const KEPT = ['name', 'type', 'fields', 'symbols', 'items', 'values', 'size'] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function fullName(name: string, namespace: string | undefined): string {
  if (name.includes('.') || !namespace) return name;
  return `${namespace}.${name}`;
}

function namespaceOf(fullname: string): string | undefined {
  const i = fullname.lastIndexOf('.');
  return i < 0 ? undefined : fullname.slice(0, i);
}

function canonical(schema: Json, namespace: string | undefined): Json {
  if (typeof schema === 'string') {
    return PRIMITIVES.has(schema) ? schema : fullName(schema, namespace);
  }
  if (Array.isArray(schema)) return schema.map((s) => canonical(s, namespace));
  if (schema === null || typeof schema !== 'object') {
    throw new SchemaError(`invalid Avro schema node ${JSON.stringify(schema)}: expected a string, array or object`);
  }
  const type = schema.type;
  if (typeof type !== 'string') return canonical(type ?? null, namespace);
  if (PRIMITIVES.has(type)) return type; // [PRIMITIVES], also drops logicalType
  const out: Record<string, Json> = {};
  let ns = namespace;
  if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
    const explicitNs = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    const name = fullName(String(schema.name), explicitNs || undefined);
    ns = namespaceOf(name);
    out.name = name;
  }
  for (const key of KEPT) {
    if (key === 'name' || !(key in schema)) continue;
    const v = schema[key] as Json;
    if (key === 'type') out.type = type === 'error' ? 'record' : type;
    else if (key === 'fields') {
      out.fields = (v as Json[]).map((f) => {
        const field = f as Record<string, Json>;
        return { name: field.name as string, type: canonical(field.type as Json, ns) };
      });
    } else if (key === 'items' || key === 'values') out[key] = canonical(v, ns);
    else out[key] = v;
  }
  return out;
}

/**
 * The Parsing Canonical Form of a schema, as the exact string that is fingerprinted.
 * @param schema - a parsed schema (object, array or string) or its JSON text
 */
export function parsingCanonicalForm(schema: unknown): string {
  const parsed = typeof schema === 'string' && /^\s*[[{"]/.test(schema) ? JSON.parse(schema) : schema;
  // JSON.stringify emits no whitespace, minimal escapes and integers without leading zeros.
  return JSON.stringify(canonical(parsed as Json, undefined));
}

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;
const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
  return fp;
});

/**
 * CRC-64-AVRO (Rabin) fingerprint of bytes, as an unsigned 64-bit BigInt.
 * Runs once per schema per process, so BigInt arithmetic is fast enough.
 */
export function rabin64(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(b)) & 0xffn)] as bigint);
  return fp;
}

/** Fingerprint of a schema's Parsing Canonical Form, unsigned 64-bit. */
export function schemaFingerprint(schema: unknown): bigint {
  return rabin64(Buffer.from(parsingCanonicalForm(schema), 'utf8'));
}

/** The 8 bytes that follow `C3 01` in single-object encoding (little-endian). */
export function fingerprintBytes(fp: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(fp);
  return b;
}

/** Fingerprint as 16 lower-case hex digits, most significant first (how the spec prints it). */
export function fingerprintHex(fp: bigint): string {
  return fp.toString(16).padStart(16, '0');
}
