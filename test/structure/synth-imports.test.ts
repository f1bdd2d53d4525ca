import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The packages every module reachable from `root` imports at run time (type-only imports
 * left out), found by reading import statements as text: an independent walk, not the
 * project's code. `#top/rest.js` and `./rest.js` resolve to `.ts` files of this repository.
 */
function runtimePackages(root: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1] as string;
      const local = spec.startsWith('#') ? spec.slice(1) : spec.startsWith('.') ? join(dirname(file), spec) : null;
      if (local === null) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        if (!packages.has(name)) packages.set(name, [...chain, file]);
        continue;
      }
      const ts = normalize(local).replace(/\.js$/, '.ts');
      if (existsSync(ts)) visit(ts, [...chain, file]);
    }
  };
  visit(root, []);
  return packages;
}

describe('what cdk synth loads', () => {
  it('the CDK app reaches no Lambda runtime library: no Powertools, no protobufjs (infra reads core data only)', () => {
    // Act
    const packages = runtimePackages('infra/app.ts');
    const lambdaOnly = [...packages.keys()].filter((p) => p.startsWith('@aws-lambda-powertools') || p === 'protobufjs');
    // Assess
    expect(Object.fromEntries(lambdaOnly.map((p) => [p, packages.get(p)]))).toEqual({});
    expect(packages.has('aws-cdk-lib')).toBe(true);
  });

  it('the walk finds Powertools where it is imported (the check can fail)', () => {
    // Act
    const packages = runtimePackages('handlers/ingest.ts');
    // Assess
    expect(packages.has('@aws-lambda-powertools/idempotency')).toBe(true);
  });
});
