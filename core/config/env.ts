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
