/** The shape every `pulse` command module exports, so cli/main.ts can list and dispatch them. */

/** One `pulse` command: its lines in `pulse --help`, its own help, and how it runs. */
export interface Command {
  /** The word after `pulse`: `pulse <name> …`. */
  readonly name: string;
  /** Its lines in the `pulse --help` list, indented and aligned as printed there. */
  readonly usage: string;
  /** What `pulse <name> --help` prints. */
  readonly help: string;
  /**
   * Runs the command with the arguments after its name.
   * @returns the exit code
   * @throws UsageError for a command-line mistake (cli/main.ts prints it and exits 2)
   */
  run(args: string[]): Promise<number> | number;
}
