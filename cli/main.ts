/**
 * The `pulse` command line: a table of the commands (cli/commands/, one per file) and
 * the dispatcher. Nothing runs on import: bin/pulse.mjs calls {@link main} and sets the
 * process's exit code. `npm start` runs `pulse start`.
 */
import { DataDirInUseError } from '#local/data-dir-lock.js';
import { UsageError } from './args.js';
import type { Command } from './command.js';
import { collectCommand } from './commands/collect.js';
import { costCommand } from './commands/cost.js';
import { quarantineCommand } from './commands/quarantine.js';
import { queryCommand } from './commands/query.js';
import { rebuildCommand } from './commands/rebuild.js';
import { redriveCommand } from './commands/redrive.js';
import { schemasCommand } from './commands/schemas.js';
import { startCommand } from './commands/start.js';
import { statusCommand } from './commands/status.js';

/** Every `pulse` command, in the order `pulse --help` lists them. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  queryCommand,
  statusCommand,
  collectCommand,
  quarantineCommand,
  rebuildCommand,
  redriveCommand,
  costCommand,
  schemasCommand,
];

/** What `pulse --help` prints (and `pulse` alone, with exit 2): one entry per command. */
export const USAGE = [
  'pulse: streaming pipeline for infrastructure metrics and logs',
  '',
  'Usage:',
  ...COMMANDS.map((c) => c.usage),
  '  pulse --help              this text',
].join('\n');

/**
 * The exit code for an error a command threw: 2 for a command-line mistake (a
 * {@link UsageError}, an unknown option, a data dir another run holds), else 1.
 */
export function exitCodeFor(error: unknown): 1 | 2 {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return error instanceof UsageError || error instanceof DataDirInUseError || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ? 2
    : 1;
}

/**
 * Runs `pulse <command> [args…]`. An error is printed to stderr as `pulse: <message>`,
 * without a stack trace, and never rejects.
 * @param argv the arguments after `pulse` (`process.argv.slice(2)`)
 * @returns the exit code: 0, 1 (the command failed or found a problem), 2 (a
 *   command-line mistake, an unknown command, or no command)
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === 'help') {
      console.log(USAGE);
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command '${name}': run 'pulse --help'`);
    return await command.run(rest);
  } catch (error) {
    console.error(`pulse: ${error instanceof Error ? error.message : String(error)}`);
    return exitCodeFor(error);
  }
}
