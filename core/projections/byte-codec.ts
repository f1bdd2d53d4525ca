/**
 * The small binary writer and reader behind the packed window measures and the
 * held window state: varints (zigzag for signed), bigints, doubles, length-prefixed
 * bytes. Written here because it is a dozen lines per type and a general format
 * (Avro, protobuf) would need a schema per shape for no gain in size.
 */
import { CorruptItemError } from './errors.js';

/** Appends varints, doubles and length-prefixed bytes to a growing buffer. */
export class ByteWriter {
  buf = Buffer.allocUnsafe(512);
  pos = 0;
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }
  varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint takes a safe integer ≥ 0, got ${n}`);
    this.room(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
  /** Signed (zigzag) varint of a safe integer. */
  svarint(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  /** Signed (zigzag) varint of a bigint of any size. */
  bigint(n: bigint): void {
    let z = n >= 0n ? n * 2n : -n * 2n - 1n;
    this.room(20);
    while (z >= 0x80n) {
      this.room(1);
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.byte(Number(z));
  }
  f64(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  string(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'));
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** Reads what {@link ByteWriter} wrote. @throws CorruptItemError when the bytes end early */
export class ByteReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  byte(): number {
    const b = this.buf[this.pos++];
    if (b === undefined) throw new CorruptItemError('stored bytes end early');
    return b;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  }
  svarint(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  bigint(): bigint {
    let z = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      z |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
    }
    return z % 2n === 0n ? z / 2n : -(z + 1n) / 2n;
  }
  f64(): number {
    if (this.pos + 8 > this.buf.length) throw new CorruptItemError('stored bytes end early');
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readDoubleLE(0);
    this.pos += 8;
    return v;
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new CorruptItemError('stored bytes end early');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  string(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }
}
