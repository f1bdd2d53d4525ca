/** Errors of the operations (rebuild, redrive). */

/** A rebuild or redrive cannot be done as asked; the message says why and what to do. */
export class RebuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
