/**
 * The error hierarchy of the CDK app: everything infra/ throws while building the app is an
 * {@link InfraError} whose message says what to change; settings that fail validation are
 * its subclass `ConfigError` (infra/context-values.ts), naming the context key.
 */

/** The app cannot be built as asked; the message says what to change. */
export class InfraError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfraError';
  }
}
