/** Reading configuration from environment variables, with errors that name the variable. */

/** A required environment variable is missing or malformed. */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

/** The value of a required variable. @throws EnvError naming it */
export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new EnvError(`environment variable ${name} is required but not set`);
  return v;
}

/** The value of a required integer variable, within [min, max]. @throws EnvError naming it */
export function requireIntEnv(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number {
  const raw = requireEnv(env, name);
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) {
    throw new EnvError(`environment variable ${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return n;
}

/**
 * The one reading of a boolean setting: `true` or `'true'` is true, `false` or `'false'` is false,
 * anything else (`'1'`, `'yes'`, `'TRUE'`, `' true'`, undefined) is not a boolean and gives undefined.
 * Strings come from environment variables and CDK context on the command line, booleans from cdk.json.
 */
export function parseBoolean(raw: unknown): boolean | undefined {
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  return undefined;
}

/**
 * The value of an optional boolean variable: undefined when unset or empty, else
 * {@link parseBoolean}'s reading. @throws EnvError naming it when it is neither `true` nor `false`
 */
export function booleanEnv(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const b = parseBoolean(raw);
  if (b === undefined) throw new EnvError(`environment variable ${name} must be true or false, got '${raw}'`);
  return b;
}
