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
