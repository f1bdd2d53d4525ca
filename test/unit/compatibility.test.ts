import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFullTransitive, describeIncompatibility } from '#core/contract/compatibility.js';
import { SchemaError } from '#core/contract/errors.js';
import { defaultSchemasDir, readSchemaFiles, SchemaRegistry } from '#core/contract/registry.js';

/** A schemas/ directory holding the real schemas plus `extra` MetricSample versions. */
function schemasWith(extra: Record<number, object>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-schemas-'));
  for (const f of readSchemaFiles(defaultSchemasDir())) {
    const sub = join(dir, f.file.split('/').at(-2) as string);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, f.file.split('/').at(-1) as string), JSON.stringify(f.schema));
  }
  for (const [version, schema] of Object.entries(extra)) {
    writeFileSync(join(dir, 'metric-sample', `v${version}.avsc`), JSON.stringify(schema));
  }
  return dir;
}

const v2 = SchemaRegistry.load().version('MetricSample', 2).schema as { fields: { name: string; type: unknown }[] };

describe('full-transitive compatibility', () => {
  it('holds for every version pair in schemas/', () => {
    expect(checkFullTransitive(SchemaRegistry.load()).map(describeIncompatibility)).toEqual([]);
  });

  it('rejects a new field without a default, naming the field', () => {
    // Prepare
    const v3 = { ...v2, fields: [...v2.fields, { name: 'datacenter', type: 'string' }] };
    const registry = SchemaRegistry.load(schemasWith({ 3: v3 }));
    // Act
    const problems = checkFullTransitive(registry).map(describeIncompatibility);
    // Assess: v3 cannot read v1 or v2 data; old readers can read v3 data
    expect(problems).toEqual([
      "MetricSample v3 cannot read data written by v1: field 'datacenter' is missing in the writer and has no default (give new fields a default; never remove a field without one or change its type)",
      "MetricSample v3 cannot read data written by v2: field 'datacenter' is missing in the writer and has no default (give new fields a default; never remove a field without one or change its type)",
    ]);
  });

  it('rejects a changed field type, naming the field', () => {
    // Prepare
    const v3 = { ...v2, fields: v2.fields.map((f) => (f.name === 'value' ? { ...f, type: 'string' } : f)) };
    const registry = SchemaRegistry.load(schemasWith({ 3: v3 }));
    // Act
    const problems = checkFullTransitive(registry);
    // Assess
    expect(problems.length).toBe(4);
    for (const p of problems) expect(p.reason).toMatch(/^field 'value': /);
  });

  it('refuses two versions with the same canonical form', () => {
    expect(() => SchemaRegistry.load(schemasWith({ 3: { ...v2, doc: 'only the doc changed' } }))).toThrow(SchemaError);
    expect(() => SchemaRegistry.load(schemasWith({ 3: { ...v2, doc: 'only the doc changed' } }))).toThrow(
      /v3\.avsc has the same canonical form as .*v2\.avsc/,
    );
  });
});
