/**
 * KPL aggregation in the `aws-kinesis-agg` / Kinesis Producer Library format:
 * magic `F3 89 9A C2`, a protobuf `AggregatedRecord`, then the MD5 of the protobuf.
 *
 * Written by hand (and proven byte-compatible with `aws-kinesis-agg` both ways in
 * test/unit/kpl.test.ts) because the library re-encodes every user record as
 * base64 on de-aggregation and serialises through protobufjs objects, which is the
 * hot path's bottleneck; here de-aggregation returns zero-copy subarrays.
 */
import { createHash } from 'node:crypto';
import { AggregationError } from './errors.js';

/** The 4 magic bytes that start an aggregated record. */
export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const MD5_LEN = 16;
/** Kinesis limit for one record: data plus partition key, in bytes. */
export const KINESIS_MAX_RECORD_BYTES = 1_048_576;

/** One user record inside an aggregate. */
export interface UserRecord {
  partitionKey: string;
  /** Decimal 128-bit hash key; optional. */
  explicitHashKey?: string | undefined;
  data: Buffer;
}

/** A user record read back from an aggregate, with its position in it. */
export interface DeaggregatedRecord extends UserRecord {
  /** Index within the aggregate (Kinesis "sub-sequence number"); 0 for a plain record. */
  subSequenceNumber: number;
  /** True when the Kinesis record was an aggregate. */
  aggregated: boolean;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/**
 * Accumulates user records into one aggregate, tracking its exact encoded size
 * so callers can stop before a limit.
 */
export class AggregateBuilder {
  private readonly pkIndex = new Map<string, number>();
  private readonly ehkIndex = new Map<string, number>();
  private readonly records: { pk: number; ehk: number; data: Buffer; size: number }[] = [];
  private protoBytes = 0;

  /** Number of user records added. */
  get count(): number {
    return this.records.length;
  }

  /** Size of the aggregate {@link build} would return, in bytes. */
  get size(): number {
    return KPL_MAGIC.length + this.protoBytes + MD5_LEN;
  }

  /** Bytes the aggregate would grow by if `record` were added. */
  sizeIncrease(record: UserRecord): number {
    let grow = 0;
    let pk = this.pkIndex.get(record.partitionKey);
    if (pk === undefined) {
      const len = Buffer.byteLength(record.partitionKey);
      grow += 1 + varintSize(len) + len;
      pk = this.pkIndex.size;
    }
    let ehk = -1;
    if (record.explicitHashKey !== undefined) {
      ehk = this.ehkIndex.get(record.explicitHashKey) ?? -1;
      if (ehk < 0) {
        const len = Buffer.byteLength(record.explicitHashKey);
        grow += 1 + varintSize(len) + len;
        ehk = this.ehkIndex.size;
      }
    }
    const inner = innerSize(pk, ehk, record.data.length);
    return grow + 1 + varintSize(inner) + inner;
  }

  /** Adds a record (no limit check: use {@link sizeIncrease} first). */
  add(record: UserRecord): void {
    const grow = this.sizeIncrease(record);
    let pk = this.pkIndex.get(record.partitionKey);
    if (pk === undefined) {
      pk = this.pkIndex.size;
      this.pkIndex.set(record.partitionKey, pk);
    }
    let ehk = -1;
    if (record.explicitHashKey !== undefined) {
      ehk = this.ehkIndex.get(record.explicitHashKey) ?? -1;
      if (ehk < 0) {
        ehk = this.ehkIndex.size;
        this.ehkIndex.set(record.explicitHashKey, ehk);
      }
    }
    this.records.push({ pk, ehk, data: record.data, size: innerSize(pk, ehk, record.data.length) });
    this.protoBytes += grow;
  }

  /** Encodes the aggregate: magic, protobuf, MD5. */
  build(): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    KPL_MAGIC.copy(out, 0);
    let pos = KPL_MAGIC.length;
    for (const key of this.pkIndex.keys()) pos = writeString(out, pos, 0x0a, key);
    for (const key of this.ehkIndex.keys()) pos = writeString(out, pos, 0x12, key);
    for (const r of this.records) {
      out[pos++] = 0x1a;
      pos = writeVarint(out, pos, r.size);
      out[pos++] = 0x08;
      pos = writeVarint(out, pos, r.pk);
      if (r.ehk >= 0) {
        out[pos++] = 0x10;
        pos = writeVarint(out, pos, r.ehk);
      }
      out[pos++] = 0x1a;
      pos = writeVarint(out, pos, r.data.length);
      pos += r.data.copy(out, pos);
    }
    createHash('md5').update(out.subarray(KPL_MAGIC.length, pos)).digest().copy(out, pos);
    return out;
  }
}

function innerSize(pk: number, ehk: number, dataLen: number): number {
  return 1 + varintSize(pk) + (ehk >= 0 ? 1 + varintSize(ehk) : 0) + 1 + varintSize(dataLen) + dataLen;
}

function writeString(out: Buffer, pos: number, tag: number, s: string): number {
  const len = Buffer.byteLength(s);
  out[pos++] = tag;
  pos = writeVarint(out, pos, len);
  return pos + out.write(s, pos, 'utf8');
}

/** Aggregates user records into one KPL record (no size limit enforced). */
export function aggregate(records: readonly UserRecord[]): Buffer {
  const b = new AggregateBuilder();
  for (const r of records) b.add(r);
  return b.build();
}

/** True when `data` starts with the KPL magic and is long enough to be an aggregate. */
export function isAggregate(data: Buffer): boolean {
  return (
    data.length >= KPL_MAGIC.length + MD5_LEN &&
    data[0] === 0xf3 &&
    data[1] === 0x89 &&
    data[2] === 0x9a &&
    data[3] === 0xc2
  );
}

/** Options of {@link deaggregate}. */
export interface DeaggregateOptions {
  /** Verify the trailing MD5 (default true). */
  verifyChecksum?: boolean;
}

/**
 * Receives each user record of an aggregate as a range of the aggregate's bytes,
 * so the hot path decodes in place without allocating per record.
 */
export type UserRecordVisitor = (
  partitionKey: string,
  explicitHashKey: string | undefined,
  start: number,
  end: number,
  subSequenceNumber: number,
) => void;

/**
 * Walks the user records of a KPL aggregate in order, calling `visit` for each.
 * @returns the number of user records
 * @throws AggregationError on a bad checksum or malformed protobuf (before any visit
 *   when the checksum is verified; possibly after some visits when it is not)
 */
export function visitAggregate(data: Buffer, visit: UserRecordVisitor, options: DeaggregateOptions = {}): number {
  const end = data.length - MD5_LEN;
  const start = KPL_MAGIC.length;
  if (options.verifyChecksum !== false) {
    const md5 = createHash('md5').update(data.subarray(start, end)).digest();
    if (!md5.equals(data.subarray(end))) throw new AggregationError('MD5 checksum mismatch');
  }
  const r = new ProtoReader(data, start, end);
  // Protobuf allows the key tables after the records, so record ranges are
  // collected first and visited once both tables are complete.
  const pks: string[] = [];
  const ehks: string[] = [];
  const inner = new ProtoReader(data, 0, 0);
  let count = 0;
  const emit = (from: number, to: number): void => {
    inner.reset(from, to);
    let pk = -1;
    let ehk = -1;
    let bodyStart = -1;
    let bodyEnd = -1;
    while (inner.pos < to) {
      const tag = inner.varint();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1 && wire === 0) pk = inner.varint();
      else if (field === 2 && wire === 0) ehk = inner.varint();
      else if (field === 3 && wire === 2) {
        const len = inner.varint();
        bodyEnd = inner.take(len);
        bodyStart = bodyEnd - len;
      } else inner.skip(wire);
    }
    if (pk < 0 || bodyStart < 0) throw new AggregationError(`user record ${count} has no partition_key_index or data`);
    const partitionKey = pks[pk];
    if (partitionKey === undefined) {
      throw new AggregationError(`user record ${count} names partition key index ${pk}, table has ${pks.length}`);
    }
    const hashKey = ehk >= 0 ? ehks[ehk] : undefined;
    if (ehk >= 0 && hashKey === undefined) {
      throw new AggregationError(`user record ${count} names hash key index ${ehk}, table has ${ehks.length}`);
    }
    visit(partitionKey, hashKey, bodyStart, bodyEnd, count++);
  };
  const records: number[] = [];
  while (r.pos < end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2) {
      r.skip(wire);
      continue;
    }
    const len = r.varint();
    const stop = r.take(len);
    if (field === 1) {
      pks.push(data.toString('utf8', stop - len, stop));
    } else if (field === 2) {
      ehks.push(data.toString('utf8', stop - len, stop));
    } else if (field === 3) records.push(stop - len, stop);
  }
  for (let i = 0; i < records.length; i += 2) emit(records[i] as number, records[i + 1] as number);
  return count;
}

/**
 * Splits a Kinesis record's data into its user records. A record that is not an
 * aggregate comes back as one user record with the outer partition key. The
 * returned `data` buffers are views into `data` (no copy).
 * @throws AggregationError on a bad checksum or malformed protobuf
 */
export function deaggregate(
  data: Buffer,
  partitionKey: string,
  explicitHashKey?: string,
  options: DeaggregateOptions = {},
): DeaggregatedRecord[] {
  if (!isAggregate(data)) {
    return [{ partitionKey, explicitHashKey, data, subSequenceNumber: 0, aggregated: false }];
  }
  const out: DeaggregatedRecord[] = [];
  visitAggregate(
    data,
    (pk, ehk, start, end, sub) =>
      out.push({
        partitionKey: pk,
        explicitHashKey: ehk,
        data: data.subarray(start, end),
        subSequenceNumber: sub,
        aggregated: true,
      }),
    options,
  );
  return out;
}

class ProtoReader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private end: number,
  ) {}

  reset(pos: number, end: number): void {
    this.pos = pos;
    this.end = end;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new AggregationError('protobuf varint runs past the end');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new AggregationError('protobuf varint longer than 10 bytes');
  }

  /** Advances over `len` bytes and returns the end position. */
  take(len: number): number {
    const stop = this.pos + len;
    if (stop > this.end) throw new AggregationError('protobuf length runs past the end');
    this.pos = stop;
    return stop;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.take(8);
    else if (wire === 2) this.take(this.varint());
    else if (wire === 5) this.take(4);
    else throw new AggregationError(`unsupported protobuf wire type ${wire}`);
  }
}
