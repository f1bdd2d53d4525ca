import { describe, expect, it } from 'vitest';
import {
  fingerprintBytes,
  fingerprintHex,
  parsingCanonicalForm,
  rabin64,
  schemaFingerprint,
} from '#core/contract/fingerprint.js';
import vectors from '#test/fixtures/avro-spec-fingerprints.json' with { type: 'json' };

describe('Parsing Canonical Form and CRC-64-AVRO, against the Avro spec vectors', () => {
  it.each(vectors.cases.map((c, i) => [i, c] as const))('case %i: canonical form matches', (_i, c) => {
    // Prepare
    const input = c.input;
    // Act
    const canonical = parsingCanonicalForm(input);
    // Assess
    expect(canonical).toBe(c.canonical);
  });

  it.each(
    vectors.cases
      .filter((c) => c.fingerprint !== undefined)
      .map((c) => [c.canonical, c.fingerprint as string] as const),
  )('fingerprint of %s is %s', (canonical, signed) => {
    // Prepare
    const expected = BigInt.asUintN(64, BigInt(signed));
    // Act
    const fp = schemaFingerprint(canonical);
    // Assess
    expect(fp).toBe(expected);
  });

  it('fingerprint of the empty input is the CRC-64-AVRO initial value', () => {
    expect(rabin64(new Uint8Array())).toBe(0xc15d213aa4d7a795n);
  });

  it('writes the fingerprint little-endian and prints it big-endian', () => {
    // Prepare
    const fp = 0x0102030405060708n;
    // Act
    const bytes = fingerprintBytes(fp);
    // Assess
    expect([...bytes]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(fingerprintHex(fp)).toBe('0102030405060708');
  });

  it('drops logicalType, doc and defaults from the canonical form', () => {
    const schema = {
      type: 'record',
      name: 'E',
      namespace: 'pulse.events',
      doc: 'x',
      fields: [{ name: 't', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0, doc: 'y' }],
    };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"pulse.events.E","type":"record","fields":[{"name":"t","type":"long"}]}',
    );
  });
});
