/**
 * Generates the configuration table of docs/configuration.md from the code, so the two
 * cannot drift: the CDK context keys are `SETTING_KEYS` of infra/config.ts, each key's
 * default is the `*_DEFAULTS` property `readConfig` falls back to (found with the
 * TypeScript compiler API, not by matching text), its meaning is that property's TSDoc,
 * and what the key accepts is the TSDoc of its `PulseSettings` member. The `*_DEFAULTS`
 * of infra/defaults.ts that no context key sets are listed in a second table.
 * Values are read by importing the modules that declare them, so a default computed
 * from another constant shows its value.
 *
 *   tsx scripts/config-table.ts            print the generated block
 *   tsx scripts/config-table.ts --write    write it between the markers of docs/configuration.md
 *   tsx scripts/config-table.ts --check    exit 1 when the doc differs from the generated block
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The marker lines the generated block sits between. */
export const MARKERS = { start: '<!-- config-table:start -->', end: '<!-- config-table:end -->' } as const;

/** The repository root (this file is scripts/config-table.ts). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The page the table is written to. */
export const CONFIG_DOC = 'docs/configuration.md';

const CONFIG_FILE = 'infra/config.ts';
const DEFAULTS_FILE = 'infra/defaults.ts';
const DEFAULTS_NAME = /_DEFAULTS$/;

/** The table or the doc cannot be made: says which file and what to change. */
export class ConfigTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigTableError';
  }
}

/** Where a default lives: the exported object, its property, and the module that declares it. */
interface DefaultRef {
  file: string;
  object: string;
  property: string;
  /** The property's TSDoc ('' when it has none). */
  doc: string;
}

/** One row of the context-key table, before values are read. */
interface KeyRow {
  key: string;
  /** What the key accepts: the TSDoc of its `PulseSettings` member. */
  accepts: string;
  /** The default's declaration, or a literal written in readConfig (`?? false`), or none. */
  source: { kind: 'object'; ref: DefaultRef } | { kind: 'literal'; text: string } | { kind: 'none' };
}

/** A property of a `*_DEFAULTS` object in infra/defaults.ts that no context key sets. */
interface FixedRow {
  ref: DefaultRef;
}

/** The analysis of the code: rows in SETTING_KEYS order, then the fixed defaults. */
export interface ConfigModel {
  keys: KeyRow[];
  fixed: FixedRow[];
}

function docOf(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();
}

/** The variable an object literal initialises, through `as const`, `satisfies`, parentheses and `Object.freeze(…)`. */
function variableOf(node: ts.Node): ts.VariableDeclaration | undefined {
  let n: ts.Node | undefined = node.parent;
  while (
    n &&
    (ts.isAsExpression(n) ||
      ts.isSatisfiesExpression(n) ||
      ts.isParenthesizedExpression(n) ||
      ts.isCallExpression(n) ||
      ts.isTypeAssertionExpression(n))
  ) {
    n = n.parent;
  }
  return n && ts.isVariableDeclaration(n) ? n : undefined;
}

/** The `*_DEFAULTS` object and property a property declaration belongs to, if it belongs to one. */
function refOfDeclaration(symbol: ts.Symbol, checker: ts.TypeChecker): DefaultRef | undefined {
  for (const decl of symbol.declarations ?? []) {
    if (!ts.isPropertyAssignment(decl) && !ts.isShorthandPropertyAssignment(decl)) continue;
    const variable = variableOf(decl.parent);
    if (variable && ts.isIdentifier(variable.name) && DEFAULTS_NAME.test(variable.name.text)) {
      return {
        file: relative(ROOT, decl.getSourceFile().fileName),
        object: variable.name.text,
        property: symbol.name,
        doc: docOf(symbol, checker),
      };
    }
  }
  return undefined;
}

/** The variable an identifier stands for, through imports and local aliases (`const d = OBSERVABILITY_DEFAULTS`). */
function variableBehind(expr: ts.Expression, checker: ts.TypeChecker): ts.VariableDeclaration | undefined {
  let symbol = checker.getSymbolAtLocation(expr);
  for (let hops = 0; symbol && hops < 5; hops++) {
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const decl = symbol.valueDeclaration;
    if (!decl || !ts.isVariableDeclaration(decl)) return undefined;
    if (ts.isIdentifier(decl.name) && DEFAULTS_NAME.test(decl.name.text)) return decl;
    if (!decl.initializer || !ts.isIdentifier(decl.initializer)) return undefined;
    symbol = checker.getSymbolAtLocation(decl.initializer);
  }
  return undefined;
}

/** `NAME.property` of a `*_DEFAULTS` variable: its declaration when it is an object literal's, else the variable's type's. */
function refOfAccess(node: ts.PropertyAccessExpression, checker: ts.TypeChecker): DefaultRef | undefined {
  const variable = variableBehind(node.expression, checker);
  if (!variable || !ts.isIdentifier(variable.name)) return undefined;
  const symbol = checker.getSymbolAtLocation(node.name);
  if (!symbol) return undefined;
  return (
    refOfDeclaration(symbol, checker) ?? {
      file: relative(ROOT, variable.getSourceFile().fileName),
      object: variable.name.text,
      property: symbol.name,
      doc: docOf(symbol, checker),
    }
  );
}

/** The context key a call or `??` is about: `f('key', …)`, or `get('key') ?? …`. */
function keyOfCall(node: ts.Node, keys: ReadonlySet<string>): string | undefined {
  if (!ts.isCallExpression(node)) return undefined;
  const first = node.arguments[0];
  return first && ts.isStringLiteral(first) && keys.has(first.text) ? first.text : undefined;
}

/** The nearest enclosing call (within the function) whose first argument is a context key. */
function enclosingKey(node: ts.Node, keys: ReadonlySet<string>): string | undefined {
  for (let n: ts.Node | undefined = node.parent; n && !ts.isFunctionLike(n); n = n.parent) {
    const key = keyOfCall(n, keys);
    if (key) return key;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) {
      const left = keyOfCall(n.left, keys);
      if (left) return left;
    }
  }
  return undefined;
}

function exportedVariable(source: ts.SourceFile, name: string): ts.VariableDeclaration {
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (ts.isIdentifier(decl.name) && decl.name.text === name) return decl;
    }
  }
  throw new ConfigTableError(`${relative(ROOT, source.fileName)} has no '${name}': update scripts/config-table.ts`);
}

/** The files infra/config.ts imports a `*_DEFAULTS` object from (read syntactically, resolved as Node does). */
function defaultsModules(configPath: string, options: ts.CompilerOptions): string[] {
  const source = ts.createSourceFile(configPath, readFileSync(configPath, 'utf8'), ts.ScriptTarget.ES2022, true);
  const files: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings) || !bindings.elements.some((e) => DEFAULTS_NAME.test(e.name.text))) {
      continue;
    }
    const resolved = ts.resolveModuleName(statement.moduleSpecifier.text, configPath, options, ts.sys).resolvedModule;
    if (!resolved) throw new ConfigTableError(`${CONFIG_FILE}: cannot resolve '${statement.moduleSpecifier.text}'`);
    files.push(resolved.resolvedFileName);
  }
  return files;
}

/** Reads the code: the context keys, where each key's default is, and the defaults no key sets. */
export function analyse(root = ROOT): ConfigModel {
  const configPath = resolve(root, CONFIG_FILE);
  const defaultsPath = resolve(root, DEFAULTS_FILE);
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    // Only the files that declare defaults: loading the CDK's types would take seconds and adds nothing here.
    noResolve: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
  };
  const program = ts.createProgram([configPath, defaultsPath, ...defaultsModules(configPath, options)], options);
  const checker = program.getTypeChecker();
  const config = program.getSourceFile(configPath);
  const defaults = program.getSourceFile(defaultsPath);
  if (!config || !defaults) throw new ConfigTableError(`cannot read ${CONFIG_FILE} or ${DEFAULTS_FILE}`);

  // SETTING_KEYS: the context keys, in the order readConfig documents them.
  const settingKeys = exportedVariable(config, 'SETTING_KEYS');
  let list: ts.Node | undefined = settingKeys.initializer;
  while (list && !ts.isArrayLiteralExpression(list)) list = list.getChildAt(0);
  if (!list) throw new ConfigTableError(`${CONFIG_FILE}: SETTING_KEYS is not an array literal`);
  const keys = list.elements.filter(ts.isStringLiteral).map((e) => e.text);
  const keySet = new Set(keys);

  // PulseSettings: what each key accepts.
  const settings = config.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'PulseSettings',
  );
  if (!settings) throw new ConfigTableError(`${CONFIG_FILE} has no PulseSettings interface`);
  const settingsType = checker.getTypeAtLocation(settings);

  // readConfig and its helpers: which default (or literal) each key falls back to.
  const found = new Map<string, KeyRow['source']>();
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) {
      const ref = refOfAccess(node, checker);
      const key = ref && enclosingKey(node, keySet);
      if (ref && key && !found.has(key)) found.set(key, { kind: 'object', ref });
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) {
      const key = keyOfCall(node.left, keySet);
      const right = node.right;
      const literal =
        right.kind === ts.SyntaxKind.TrueKeyword ||
        right.kind === ts.SyntaxKind.FalseKeyword ||
        ts.isNumericLiteral(right) ||
        ts.isStringLiteral(right);
      if (key && literal && !found.has(key)) found.set(key, { kind: 'literal', text: right.getText() });
    }
    ts.forEachChild(node, visit);
  };
  visit(config);

  // A key readConfig hands on whole (windowing): the same-named property of a *_DEFAULTS it imports.
  const imported = config.statements
    .filter(ts.isImportDeclaration)
    .flatMap((d) => {
      const bindings = d.importClause?.namedBindings;
      return bindings && ts.isNamedImports(bindings) ? [...bindings.elements] : [];
    })
    .filter((e) => DEFAULTS_NAME.test(e.name.text));
  for (const key of keys) {
    if (found.has(key)) continue;
    for (const element of imported) {
      const variable = variableBehind(element.name, checker);
      const symbol = checker.getTypeAtLocation(element.name).getProperty(key);
      if (!variable || !symbol || !ts.isIdentifier(variable.name)) continue;
      found.set(key, {
        kind: 'object',
        ref: refOfDeclaration(symbol, checker) ?? {
          file: relative(root, variable.getSourceFile().fileName),
          object: variable.name.text,
          property: key,
          doc: docOf(symbol, checker),
        },
      });
      break;
    }
  }

  const rows: KeyRow[] = keys.map((key) => {
    const member = settingsType.getProperty(key);
    if (!member) throw new ConfigTableError(`${CONFIG_FILE}: '${key}' is in SETTING_KEYS but not in PulseSettings`);
    return { key, accepts: docOf(member, checker), source: found.get(key) ?? { kind: 'none' } };
  });

  // The *_DEFAULTS of infra/defaults.ts whose properties no key uses: fixed in code.
  const used = new Set(
    rows.flatMap((r) => (r.source.kind === 'object' ? [`${r.source.ref.object}.${r.source.ref.property}`] : [])),
  );
  const fixed: FixedRow[] = [];
  for (const statement of defaults.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (!ts.isIdentifier(decl.name) || !DEFAULTS_NAME.test(decl.name.text)) continue;
      for (const symbol of checker.getTypeAtLocation(decl.name).getProperties()) {
        const ref = refOfDeclaration(symbol, checker);
        if (ref && ref.object === decl.name.text && !used.has(`${ref.object}.${ref.property}`)) fixed.push({ ref });
      }
    }
  }
  return { keys: rows, fixed };
}

/** A value as the table shows it: what one would pass with `-c key=value`. */
function formatValue(value: unknown): string {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return 'none';
  if (Array.isArray(value)) return `\`${value.join(',')}\``;
  if (typeof value === 'string' || typeof value === 'boolean') return `\`${String(value)}\``;
  return String(value);
}

/** Markdown table cells: no pipes or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim() || '—';
}

async function valueOf(ref: DefaultRef, root: string): Promise<unknown> {
  const module = (await import(pathToFileURL(resolve(root, ref.file)).href)) as Record<string, unknown>;
  const object = module[ref.object];
  if (typeof object !== 'object' || object === null) {
    throw new ConfigTableError(`${ref.file} does not export the object ${ref.object}`);
  }
  return (object as Record<string, unknown>)[ref.property];
}

/** The generated block (without the markers): the context-key table and the fixed defaults. */
export async function configTable(root = ROOT): Promise<string> {
  const model = analyse(root);
  const lines = [
    '<!-- Generated by `npm run docs:config` (scripts/config-table.ts) from infra/config.ts and the',
    '     *_DEFAULTS objects; edit the TSDoc there, not here. -->',
    '',
    '| key | default | accepts | why this default | defined in |',
    '|---|---|---|---|---|',
  ];
  for (const row of model.keys) {
    const { source } = row;
    const value =
      source.kind === 'object'
        ? formatValue(await valueOf(source.ref, root))
        : source.kind === 'literal'
          ? `\`${source.text.replace(/^'|'$/g, '')}\``
          : 'none';
    const why = source.kind === 'object' ? source.ref.doc : '';
    const where =
      source.kind === 'object' ? `\`${source.ref.object}.${source.ref.property}\` (${source.ref.file})` : CONFIG_FILE;
    lines.push(`| \`${row.key}\` | ${value} | ${cell(row.accepts)} | ${cell(why)} | ${where} |`);
  }
  if (model.fixed.length > 0) {
    lines.push(
      '',
      `Defaults in ${DEFAULTS_FILE} that no context key sets (change them in the code):`,
      '',
      '| default | value | why |',
      '|---|---|---|',
    );
    for (const { ref } of model.fixed) {
      lines.push(`| \`${ref.object}.${ref.property}\` | ${formatValue(await valueOf(ref, root))} | ${cell(ref.doc)} |`);
    }
  }
  return lines.join('\n');
}

/** The text between the markers of `doc` (without them). */
export function blockOf(doc: string): string {
  const start = doc.indexOf(MARKERS.start);
  const end = doc.indexOf(MARKERS.end);
  if (start < 0 || end < start) {
    throw new ConfigTableError(`${CONFIG_DOC} needs the lines ${MARKERS.start} and ${MARKERS.end}, in that order`);
  }
  return doc.slice(start + MARKERS.start.length, end).trim();
}

/** `doc` with `block` between its markers. */
export function withBlock(doc: string, block: string): string {
  blockOf(doc); // the markers must be there
  const start = doc.indexOf(MARKERS.start) + MARKERS.start.length;
  const end = doc.indexOf(MARKERS.end);
  return `${doc.slice(0, start)}\n${block}\n${doc.slice(end)}`;
}

async function main(args: string[]): Promise<number> {
  const block = await configTable();
  const path = resolve(ROOT, CONFIG_DOC);
  if (args.includes('--write')) {
    const doc = readFileSync(path, 'utf8');
    const next = withBlock(doc, block);
    if (next !== doc) writeFileSync(path, next);
    console.log(`${CONFIG_DOC}: ${next === doc ? 'up to date' : 'table written'}`);
    return 0;
  }
  if (args.includes('--check')) {
    if (blockOf(readFileSync(path, 'utf8')) === block) return 0;
    console.error(`${CONFIG_DOC}: the configuration table differs from the code: run npm run docs:config`);
    return 1;
  }
  console.log(block);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
