import { describe, expect, it } from 'vitest';
import {
  BadMagicError,
  InvalidEventError,
  TruncatedBodyError,
  UnknownFingerprintError,
} from '#core/contract/errors.js';
import type { MetricSample } from '#core/contract/events.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectDecoder, SingleObjectEncoder } from '#core/contract/single-object.js';
import { logEvent, metricSample } from '#test/helpers/events.js';

const registry = SchemaRegistry.load();
const encoder = new SingleObjectEncoder();
const v1 = registry.version('MetricSample', 1);
const v2 = registry.version('MetricSample', 2);

describe('single-object encoding', () => {
  it('starts with C3 01 and the writer fingerprint little-endian', () => {
    // Act
    const bytes = encoder.encode(v1, metricSample());
    // Assess
    expect(bytes.subarray(0, 2).toString('hex')).toBe('c301');
    expect(bytes.readBigUInt64LE(2)).toBe(v1.fingerprint);
  });

  it('round-trips a metric and a log event, occurred_at as a Date (timestamp-millis)', () => {
    // Prepare
    const decoder = new SingleObjectDecoder(registry);
    const metric = metricSample(7, { source: 'collector' });
    const log = logEvent(8);
    // Act
    const m = decoder.decode(encoder.encode(v2, metric));
    const l = decoder.decode(encoder.encode(registry.latest('LogEvent'), log));
    // Assess
    expect(m).toMatchObject({ type: 'MetricSample', event: metric });
    expect((m.event as MetricSample).occurred_at).toBeInstanceOf(Date);
    expect(l).toMatchObject({ type: 'LogEvent', event: log });
  });

  it('writes occurred_at as epoch milliseconds (an Avro long)', () => {
    // Prepare
    const at = new Date(Date.UTC(2026, 0, 1));
    // Act
    const bytes = encoder.encode(v1, metricSample(1, { occurred_at: at }));
    // Assess: the plain long schema reads the same bytes as the number of ms
    const plain = registry.version('MetricSample', 1).type;
    const asLong = (plain.decode(bytes, 10).value as { occurred_at: Date }).occurred_at.getTime();
    expect(asLong).toBe(at.getTime());
  });

  it('resolves v1 data to the v2 reader (source = null) and v2 data to the v1 reader', () => {
    // Prepare
    const toV2 = new SingleObjectDecoder(registry, { MetricSample: 2 });
    const toV1 = new SingleObjectDecoder(registry, { MetricSample: 1 });
    const old = metricSample(1);
    const fresh = metricSample(2, { source: 'agent' });
    // Act
    const upgraded = toV2.decode(encoder.encode(v1, old));
    const downgraded = toV1.decode(encoder.encode(v2, fresh));
    // Assess
    expect(upgraded.event).toEqual({ ...old, source: null });
    expect(upgraded.writer.version).toBe(1);
    const { source: _dropped, ...withoutSource } = fresh;
    expect(downgraded.event).toEqual(withoutSource);
  });

  it('names the invalid fields, never their values', () => {
    // Prepare
    const bad = { ...metricSample(), value: 'secret-payload', host: 12 } as unknown as MetricSample;
    // Act
    const act = () => encoder.encode(v1, bad);
    // Assess
    expect(act).toThrow(InvalidEventError);
    expect(act).toThrow('event does not match schema MetricSample v1: invalid field(s) host, value');
    try {
      act();
    } catch (e) {
      expect((e as Error).message).not.toContain('secret-payload');
    }
  });
});

describe('reserved map keys', () => {
  it('refuses a __proto__ tag key, which no JavaScript reader can return as data', () => {
    // Prepare
    const tags = JSON.parse('{"__proto__": "x", "team": "infra"}') as Record<string, string>;
    // Act
    const act = () => encoder.encode(v1, metricSample(1, { tags }));
    // Assess
    expect(act).toThrow('event does not match schema MetricSample v1: invalid field(s) tags.__proto__');
  });
});

describe('single-object decoding errors', () => {
  const decoder = new SingleObjectDecoder(registry);
  const good = encoder.encode(v1, metricSample(1, { host: 'payload-host-name' }));

  it('rejects a bad marker', () => {
    const bytes = Buffer.from(good);
    bytes[0] = 0x7b;
    expect(() => decoder.decode(bytes)).toThrow(BadMagicError);
    expect(() => decoder.decode(bytes)).toThrow('expected marker C3 01, found 7b01');
    expect(() => decoder.decode(Buffer.alloc(0))).toThrow('found an empty record');
  });

  it('names an unknown fingerprint and says what to do', () => {
    // Prepare
    const bytes = Buffer.from(good);
    bytes.writeBigUInt64LE(0x0123456789abcdefn, 2);
    // Act
    const act = () => decoder.decode(bytes);
    // Assess
    expect(act).toThrow(UnknownFingerprintError);
    expect(act).toThrow('unknown schema fingerprint 0x0123456789abcdef: add the writer schema to schemas/');
  });

  it('rejects a truncated body and a truncated header without echoing the payload', () => {
    for (const cut of [good.length - 1, 12, 10, 5]) {
      const act = () => decoder.decode(good.subarray(0, cut));
      expect(act).toThrow(TruncatedBodyError);
      try {
        act();
      } catch (e) {
        expect((e as Error).message).not.toContain('payload-host-name');
      }
    }
  });

  it('rejects trailing bytes after the body', () => {
    const act = () => decoder.decode(Buffer.concat([good, Buffer.from([0, 0])]));
    expect(act).toThrow('2 trailing bytes after a MetricSample v1 body');
  });

  it('errors carry a stable code used as the quarantine reason', () => {
    const codes: string[] = [];
    for (const bytes of [Buffer.from('{}'), good.subarray(0, 11)]) {
      try {
        decoder.decode(bytes);
      } catch (e) {
        codes.push((e as { code: string }).code);
      }
    }
    expect(codes).toEqual(['bad-magic', 'truncated-body']);
  });
});
