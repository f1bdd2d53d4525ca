/** Errors of the projections. */

/** Base class of projection errors. */
export class ProjectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A stored item does not have the shape this code writes. */
export class CorruptItemError extends ProjectionError {}

/** A flush could not store every held window: the invocation fails and is retried with the same state. */
export class FlushError extends ProjectionError {}
