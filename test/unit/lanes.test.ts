import { describe, expect, it } from 'vitest';
import { AggregateBuilder } from '#core/contract/kpl.js';
import { type Lane, Lanes } from '#core/produce/lanes.js';

/** Opens an aggregate of `events` one-byte events on a lane, as the producer's put() does. */
function fill(lane: Lane, events: number, openedAt = 0): void {
  const b = new AggregateBuilder();
  for (let i = 0; i < events; i++) b.add({ partitionKey: 'host-1', data: Buffer.from([i]) });
  Object.assign(lane, { builder: b, partitionKey: 'host-1', firstSeq: 1, lastSeq: events, openedAt });
}

describe('Lanes', () => {
  it('seals an aggregate into a record at the back of its lane, and never an empty one', () => {
    // Prepare
    const lanes = new Lanes();
    const lane = lanes.of('shard-0');
    fill(lane, 3);

    // Act
    lanes.seal(lane);
    lanes.seal(lane);

    // Assess
    expect(lane.builder).toBeNull();
    expect(lane.queue.map((r) => [r.events, r.firstSeq, r.lastSeq, r.lane === lane])).toEqual([[3, 1, 3, true]]);
  });

  it('offers one head a lane, none in flight, and the earliest end of a backoff', () => {
    // Prepare: a ready lane, one in flight, two backing off
    const lanes = new Lanes();
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) {
      const lane = lanes.of(id);
      fill(lane, 1);
      lanes.seal(lane);
      fill(lane, 1);
      lanes.seal(lane);
    }
    lanes.of('b').inFlight = true;
    lanes.of('c').retryAt = 2_000;
    lanes.of('d').retryAt = 1_500;

    // Act
    const { heads, backoffEndsAt } = lanes.ready(1_000);

    // Assess
    expect(heads).toEqual([lanes.of('a').queue[0]]);
    expect(backoffEndsAt).toBe(1_500);
  });

  it('drains the lanes of closed shards before any open lane sends', () => {
    // Prepare: shard-0 closes with a record queued; shard-1 stays open with one too
    const lanes = new Lanes();
    const closed = lanes.of('shard-0');
    fill(closed, 2);
    lanes.seal(closed);
    const open = lanes.of('shard-1');
    fill(open, 1);
    lanes.seal(open);

    // Act
    lanes.retireClosed(new Set(['shard-1']));
    const whileDraining = lanes.ready(0).heads;
    closed.queue.shift();
    lanes.settle(closed);
    const afterwards = lanes.ready(0).heads;

    // Assess
    expect(whileDraining.map((r) => r.lane.shardId)).toEqual(['shard-0']);
    expect(afterwards.map((r) => r.lane.shardId)).toEqual(['shard-1']);
    expect(lanes.of('shard-0')).not.toBe(closed);
  });

  it('has work while any lane holds an aggregate or a record, and says when the first aggregate has lingered', () => {
    // Prepare
    const lanes = new Lanes();
    const idle = lanes.hasWork();
    fill(lanes.of('a'), 1, 500);
    fill(lanes.of('b'), 1, 200);

    // Act / Assess
    expect([idle, lanes.hasWork(), lanes.lingerEndsAt(100)]).toEqual([false, true, 300]);
    lanes.sealLingering(299, 100);
    expect(lanes.of('b').queue).toHaveLength(0);
    lanes.sealLingering(300, 100);
    expect([lanes.of('a').queue.length, lanes.of('b').queue.length]).toEqual([0, 1]);
  });
});
