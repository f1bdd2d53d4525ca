import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '#cli/args.js';
import { COMMANDS, exitCodeFor, main, USAGE } from '#cli/main.js';
import { DataDirInUseError } from '#local/data-dir-lock.js';

/** Runs `main` with console output captured. */
async function runMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void stdout.push(String(line)));
  vi.spyOn(console, 'error').mockImplementation((line: unknown) => void stderr.push(String(line)));
  const code = await main(argv);
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('pulse dispatcher (cli/main.ts)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('lists every command of the table in pulse --help, in table order, each once', () => {
    // Prepare
    const names = COMMANDS.map((c) => c.name);
    // Act
    const listed = USAGE.split('\n')
      .map((line) => /^ {2}pulse (\S+)/.exec(line)?.[1])
      .filter((name) => name !== undefined && name !== '--help');
    // Assess
    expect(names).toEqual([
      'start',
      'query',
      'status',
      'collect',
      'quarantine',
      'rebuild',
      'redrive',
      'cost',
      'schemas',
    ]);
    expect([...new Set(listed)]).toEqual(names);
    expect(USAGE.split('\n').slice(0, 3)).toEqual([
      'pulse: streaming pipeline for infrastructure metrics and logs',
      '',
      'Usage:',
    ]);
  });

  it.each(['start', 'query', 'status', 'collect', 'quarantine', 'rebuild', 'redrive', 'cost', 'schemas'])(
    'pulse %s --help prints that command’s help and exits 0',
    async (name) => {
      // Prepare
      const command = COMMANDS.find((c) => c.name === name);
      // Act
      const { code, stdout, stderr } = await runMain([name, '--help']);
      // Assess
      expect(code).toBe(0);
      expect(stdout).toBe(command?.help);
      expect(stdout.startsWith(`pulse ${name}`)).toBe(true);
      expect(stderr).toBe('');
    },
  );

  it.each([
    [['--help'], 0],
    [['help'], 0],
    [[], 2],
  ])('pulse %j prints the usage to stdout and exits %i', async (argv, expected) => {
    // Act
    const { code, stdout, stderr } = await runMain(argv);
    // Assess
    expect(code).toBe(expected);
    expect(stdout).toBe(USAGE);
    expect(stderr).toBe('');
  });

  it('refuses an unknown command on stderr with exit 2, pointing at pulse --help', async () => {
    // Act
    const { code, stdout, stderr } = await runMain(['frobnicate', '--help']);
    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe("pulse: unknown command 'frobnicate': run 'pulse --help'");
  });

  it('refuses an unknown option with exit 2, naming it', async () => {
    // Act
    const { code, stderr } = await runMain(['cost', '--bogus']);
    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe("pulse: Unknown option '--bogus'");
  });
});

describe('exitCodeFor', () => {
  it('gives 2 for a command-line mistake and 1 for anything else', () => {
    // Prepare
    const unknownOption = Object.assign(new TypeError("Unknown option '--x'"), {
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    });
    const missingValue = Object.assign(new TypeError("Option '--port <value>' argument missing"), {
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
    });
    const inUse = new DataDirInUseError('.data', {
      pid: 1,
      processStart: null,
      host: 'h',
      command: 'pulse start',
      since: '2026-01-01T00:00:00Z',
    });
    // Act
    const codes = [new UsageError('x'), unknownOption, inUse, missingValue, new Error('boom'), 'text', null].map(
      exitCodeFor,
    );
    // Assess
    expect(codes).toEqual([2, 2, 2, 1, 1, 1, 1]);
  });
});
