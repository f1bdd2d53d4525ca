import type { DiscardedBatch, OnFailureDestination } from '#local/mapping-options.js';

/** An on-failure destination that keeps the discarded batches in memory, in order. */
export class MemoryDestination implements OnFailureDestination {
  /** Every batch sent so far. */
  readonly batches: DiscardedBatch[] = [];

  /** Keeps `batch`. */
  async send(batch: DiscardedBatch): Promise<void> {
    this.batches.push(batch);
  }
}
