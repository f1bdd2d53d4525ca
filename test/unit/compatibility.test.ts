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

const latest = SchemaRegistry.load().latest('MetricSample');
const base = latest.schema as { fields: { name: string; type: unknown }[] };
/** The version after the latest: where a new schema would go. */
const next = latest.version + 1;
/** What each older version's message names, e.g. 'v1', 'v2', 'v3'. */
const older = Array.from({ length: latest.version }, (_, i) => i + 1);

describe('full-transitive compatibility', () => {
  it('holds for every version pair in schemas/', () => {
    expect(checkFullTransitive(SchemaRegistry.load()).map(describeIncompatibility)).toEqual([]);
  });

  it('rejects a new field without a default, naming the field', () => {
    // Prepare
    const added = { ...base, fields: [...base.fields, { name: 'datacenter', type: 'string' }] };
    const registry = SchemaRegistry.load(schemasWith({ [next]: added }));
    // Act
    const problems = checkFullTransitive(registry).map(describeIncompatibility);
    // Assess: the new version cannot read any older data; old readers can read its data
    expect(problems).toEqual(
      older.map(
        (v) =>
          `MetricSample v${next} cannot read data written by v${v}: field 'datacenter' is missing in the writer and has no default (give new fields a default; never remove a field without one or change its type)`,
      ),
    );
  });

  it('rejects a changed field type, naming the field', () => {
    // Prepare
    const changed = { ...base, fields: base.fields.map((f) => (f.name === 'value' ? { ...f, type: 'string' } : f)) };
    const registry = SchemaRegistry.load(schemasWith({ [next]: changed }));
    // Act
    const problems = checkFullTransitive(registry);
    // Assess: each older version, both ways
    expect(problems.length).toBe(2 * older.length);
    for (const p of problems) expect(p.reason).toMatch(/^field 'value': /);
  });

  it('refuses two versions with the same canonical form', () => {
    const docOnly = { ...base, doc: 'only the doc changed' };
    expect(() => SchemaRegistry.load(schemasWith({ [next]: docOnly }))).toThrow(SchemaError);
    expect(() => SchemaRegistry.load(schemasWith({ [next]: docOnly }))).toThrow(
      new RegExp(`v${next}\\.avsc has the same canonical form as .*v${latest.version}\\.avsc`),
    );
  });
});
