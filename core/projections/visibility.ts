/**
 * When records become visible in the windows, for latency figures: with held window
 * state, a record's events are stored only at a flush. A flush writes everything held
 * before the invocation; the invocation's own records are stored too unless the state it
 * answers still holds them (a flush of the state handed in, before the batch).
 * Local mode and bench:fleet use it for their latency figures, the hot-path handler for
 * its TimeToVisible and fleet metrics.
 */
export class HeldRecords<T> {
  private readonly held = new Map<string, T[]>();

  /**
   * Settles one invocation of a shard: `done` are its records Lambda checkpoints,
   * `flushed` whether it wrote held windows, `stillHeld` whether its answered state holds
   * records. Returns the records it made visible (earlier ones first).
   */
  settle(shardId: string, done: readonly T[], flushed: boolean, stillHeld: boolean): T[] {
    const before = this.held.get(shardId) ?? [];
    const visible = [...(flushed ? before : []), ...(stillHeld ? [] : done)];
    this.held.set(shardId, [...(flushed ? [] : before), ...(stillHeld ? done : [])]);
    return visible;
  }

  /** Forgets what a shard holds (its state was replaced by one held elsewhere). */
  forget(shardId: string): void {
    this.held.delete(shardId);
  }
}
