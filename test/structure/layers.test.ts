import { spawnSync } from 'node:child_process';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

/** The `no-restricted-imports` messages `npm run lint` gives `source` as if it were the file `path`. */
async function layerErrors(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layers point one way (npm run lint)', () => {
  it.each([
    ['core/windows/x.ts', '#local/pipeline.js', 'core/ must not import from handlers, infra, local, cli, test, bench'],
    [
      'core/windows/x.ts',
      '#handlers/lib/emf.js',
      'core/ must not import from handlers, infra, local, cli, test, bench',
    ],
    ['handlers/lib/x.ts', '#infra/config.js', 'handlers/ must not import from infra, local, cli, test, bench'],
    ['infra/constructs/x.ts', '#handlers/lib/emf.js', 'infra/ must not import from handlers, local, cli, test, bench'],
    ['local/x.ts', '#cli/pulse.js', 'local/ must not import from infra, cli, test, bench'],
  ])('%s importing %s fails', async (path, spec, expected) => {
    // Prepare
    const source = `import { x } from '${spec}';\nexport const y = x;\n`;
    // Act
    const errors = await layerErrors(path, source);
    // Assess
    expect(errors).toEqual([
      `'${spec}' import is restricted from being used by a pattern. ${expected} (layers point one way: docs/architecture.md).`,
    ]);
  });

  it('a relative import that climbs out of its folder fails; a downward or same-folder one passes', async () => {
    // Prepare
    const climbing = "import { x } from '../contract/events.js';\nexport const y = x;\n";
    const sibling =
      "import { x } from './fold.js';\nimport { z } from '#core/contract/events.js';\nexport const y = [x, z];\n";
    // Act
    const [climbs, fine] = await Promise.all([
      layerErrors('core/windows/x.ts', climbing),
      layerErrors('core/windows/x.ts', sibling),
    ]);
    // Assess
    expect(climbs).toHaveLength(1);
    expect(climbs[0]).toContain('Climbing relative import: use the package.json alias');
    expect(fine).toEqual([]);
  });

  it('the allowed directions pass: cli -> local -> handlers -> core, infra -> core', async () => {
    // Prepare
    const cases: [string, string][] = [
      ['cli/x.ts', '#local/pipeline.js'],
      ['local/x.ts', '#handlers/lib/sources.js'],
      ['handlers/x.ts', '#core/metrics/names.js'],
      ['infra/x.ts', '#core/metrics/names.js'],
    ];
    // Act
    const errors = await Promise.all(
      cases.map(([p, s]) => layerErrors(p, `import { x } from '${s}';\nexport const y = x;\n`)),
    );
    // Assess
    expect(errors).toEqual([[], [], [], []]);
  });

  it('no source file climbs with ../../ (the aliases replace them)', () => {
    // Act
    const grep = spawnSync(
      'git',
      ['grep', '-n', '-E', "from '\\.\\./\\.\\./", '--', 'core', 'handlers', 'infra', 'local', 'cli'],
      {
        encoding: 'utf8',
      },
    );
    // Assess: git grep exits 1 when nothing matches
    expect([grep.stdout, grep.status]).toEqual(['', 1]);
  });
});
