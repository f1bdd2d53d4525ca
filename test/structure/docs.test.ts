import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockOf, CONFIG_DOC, configTable, withBlock } from '../../scripts/config-table.js';

const ROOT = resolve(import.meta.dirname, '../..');

let generated: Promise<string> | undefined;
/** The generated table, made once for the file (it compiles infra/config.ts and imports the defaults). */
function generatedTable(): Promise<string> {
  generated ??= configTable();
  return generated;
}

/** README.md and every page of docs/, as paths from the root. */
function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** The link targets of a markdown text, outside fenced code blocks and inline code. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] as string);
}

/** A link that leaves the repository or stays on its page. */
function isExternalOrAnchor(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#');
}

describe('docs', () => {
  it('the configuration table in docs/configuration.md is what scripts/config-table.ts generates', async () => {
    // Prepare
    const doc = readFileSync(join(ROOT, CONFIG_DOC), 'utf8');

    // Act
    const table = await generatedTable();

    // Assess
    expect(blockOf(doc), 'the table differs from infra/defaults.ts and infra/config.ts: run npm run docs:config').toBe(
      table,
    );
  });

  it('the generated table has a row for every context key, with its default', async () => {
    // Prepare
    const { SETTING_KEYS } = await import('#infra/config.js');

    // Act
    const table = await generatedTable();

    // Assess
    for (const key of SETTING_KEYS) expect(table).toMatch(new RegExp(`^\\| \`${key}\` \\| `, 'm'));
    expect(table).toContain('| `retentionHours` | 168 |');
    expect(table).toContain('| `windowSizesMs` | `60000,3600000` |');
  });

  it('writing the table replaces only what is between the markers', () => {
    // Prepare
    const doc = 'before\n<!-- config-table:start -->\nold\n<!-- config-table:end -->\nafter\n';

    // Act
    const next = withBlock(doc, 'new');

    // Assess
    expect(next).toBe('before\n<!-- config-table:start -->\nnew\n<!-- config-table:end -->\nafter\n');
    expect(blockOf(next)).toBe('new');
    expect(() => withBlock('no markers', 'new')).toThrow(/needs the lines/);
  });

  it('README.md is at most 160 lines', () => {
    // Prepare
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

    // Act
    const lines = readme.trimEnd().split('\n').length;

    // Assess
    expect(lines).toBeLessThanOrEqual(160);
  });

  it('every relative link in README.md and docs/*.md points to a file that exists', () => {
    // Prepare
    const files = markdownFiles();

    // Act
    const broken = files.flatMap((file) =>
      linkTargets(readFileSync(join(ROOT, file), 'utf8'))
        .filter((target) => !isExternalOrAnchor(target))
        .map((target) => ({ file, target, path: resolve(ROOT, dirname(file), decodeURI(target.split('#')[0] ?? '')) }))
        .filter(({ path }) => !existsSync(path))
        .map(({ file, target, path }) => `${file}: ${target} (${relative(ROOT, path)})`),
    );

    // Assess
    expect(files.length).toBeGreaterThan(1);
    expect(broken).toEqual([]);
  });

  it('the link check finds a broken link and skips code, anchors and URLs', () => {
    // Prepare
    const markdown = [
      'See [a](a.md), [b](b.md#part) and ![c](c.png "title").',
      '[web](https://example.com) [here](#here) `[not](x.md)`',
      '```',
      '[not a link](y.md)',
      '```',
    ].join('\n');

    // Act
    const targets = linkTargets(markdown).filter((t) => !isExternalOrAnchor(t));

    // Assess
    expect(targets).toEqual(['a.md', 'b.md#part', 'c.png']);
  });
});
