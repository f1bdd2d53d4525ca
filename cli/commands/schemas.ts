/** `pulse schemas check`: every schema version is full-transitive compatible with the others. */
import { checkFullTransitive, describeIncompatibility } from '#core/contract/compatibility.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import type { Command } from '#cli/command.js';

const HELP = `pulse schemas check: load every schemas/<type>/v<N>.avsc and check that each
version reads data of every other version (full-transitive). Exit 1 naming the
fields of any incompatible pair.`;

function schemas(args: string[]): number {
  if (args[0] !== 'check' || args.includes('--help')) {
    console.log(HELP);
    return args.includes('--help') ? 0 : 2;
  }
  const registry = SchemaRegistry.load();
  const problems = checkFullTransitive(registry);
  for (const v of registry.all()) console.log(`${v.name} v${v.version}  0x${v.fingerprintHex}  ${v.file}`);
  for (const p of problems) console.error(`INCOMPATIBLE: ${describeIncompatibility(p)}`);
  const pairs = registry.all().reduce((n, v) => n + registry.versions(v.name).length - 1, 0);
  console.log(
    problems.length === 0
      ? `ok: ${pairs} writer/reader pairs are compatible`
      : `${problems.length} incompatible pair(s)`,
  );
  return problems.length === 0 ? 0 : 1;
}

/** `pulse schemas check`: exit 1 naming the fields of any incompatible pair; without `check`, its help and exit 2. */
export const schemasCommand: Command = {
  name: 'schemas',
  usage: '  pulse schemas check       prove every schema version is full-transitive compatible',
  help: HELP,
  run: schemas,
};
