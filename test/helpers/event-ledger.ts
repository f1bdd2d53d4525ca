/**
 * Accounting per event identity: what the workload produced (every event the producer
 * was asked to send and acknowledged), what the stream holds (the reference reader's
 * unique identities), and what the windows and side outputs counted. Counts alone
 * would let a producer that drops one event and a consumer that counts another twice
 * pass together; identities do not:
 * - produced and on-stream identities must be the same set, and each copy on the
 *   stream must carry what was produced;
 * - every window must count exactly the produced identities the oracle puts in it;
 * - the late output of each size and the quarantine must hold exactly the identities
 *   the oracle sends there, once each.
 */
import { expect } from 'vitest';
import type { ReferenceSideOutputs } from './reference-item-reader.js';
import { eventKey, type ReadEvent, readHistogram } from './reference-stream-reader.js';
import type { OracleResult, OracleWindow } from './window-oracle.js';

/** What a producer's `put` needs to be: it resolves with the identity it gave the event. */
interface Putter {
  put(type: never, body: never): Promise<{ producer_id: string; producer_seq: number }>;
}

/** An event body as the tests produce it (MetricSample or LogEvent fields). */
interface Body {
  occurred_at: Date;
  host: string;
  metric?: string;
  value?: number;
  histogram?: unknown;
  service?: string;
  level?: string;
}

/**
 * The events a workload produced, by identity. An event counts once its `put` resolved
 * with its identity and a later `flush` (or `close`) resolved: the producer acknowledged it.
 */
export class ProducedEvents {
  /** Acknowledged events by identity. */
  readonly acknowledged = new Map<string, ReadEvent>();
  private pending: [string, ReadEvent][] = [];

  /** Puts one event and records the identity the producer gave it (acknowledged at the next flush). */
  async put(producer: Putter, type: 'MetricSample' | 'LogEvent', body: Body): Promise<void> {
    const id = await producer.put(type as never, body as never);
    const e: ReadEvent = {
      type,
      producerId: id.producer_id,
      producerSeq: id.producer_seq,
      occurredAt: body.occurred_at.getTime(),
      host: body.host,
      ...(type === 'MetricSample'
        ? { metric: body.metric, value: body.value, histogram: readHistogram(body.histogram) }
        : { service: body.service, level: body.level }),
    };
    this.pending.push([eventKey(id.producer_id, id.producer_seq), e]);
  }

  /** Flushes the producer; the events put so far are acknowledged if it resolves. */
  async flush(producer: { flush(): Promise<void> }): Promise<void> {
    await producer.flush();
    this.acknowledge();
  }

  /** Closes the producer (a last flush); the events put so far are acknowledged if it resolves. */
  async close(producer: { close(): Promise<void> }): Promise<void> {
    await producer.close();
    this.acknowledge();
  }

  private acknowledge(): void {
    for (const [k, e] of this.pending) this.acknowledged.set(k, e);
    this.pending = [];
  }
}

/** One window whose stored count is not the number of produced identities the oracle puts in it. */
export interface MiscountedWindow {
  window: string;
  /** The identities the window must count. */
  expected: string[];
  stored: number;
}

/** What {@link accountEvents} found; every list is empty and `lost`, `doubleCounted` are 0 when all is well. */
export interface EventAccount {
  produced: number;
  /** Unique identities on the stream. */
  onStream: number;
  /** Events the finest windows counted (metric and service-log windows: each event once). */
  windowed: number;
  /** Events stored as late for the finest size. */
  late: number;
  /** Events stored in quarantine (future-dated), poison records not included. */
  quarantined: number;
  /** Produced events not counted (finest size): missing from the stream, short windows, missing side outputs. */
  lost: number;
  /** Counts beyond the produced events (finest size): over-counted windows, side outputs twice or unexpected, events never produced. */
  doubleCounted: number;
  missingFromStream: string[];
  notProduced: string[];
  /** Produced identities whose copy on the stream carries other values. */
  alteredOnStream: string[];
  /** Windows of any size and view whose count is off. */
  miscounted: MiscountedWindow[];
  /** Late identities per size (`<size>:<identity>`) expected but not stored, and stored but not expected (or twice). */
  lateMissing: string[];
  lateUnexpected: string[];
  quarantineMissing: string[];
  quarantineUnexpected: string[];
}

const sameEvent = (a: ReadEvent, b: ReadEvent) =>
  a.type === b.type &&
  a.occurredAt === b.occurredAt &&
  a.host === b.host &&
  a.metric === b.metric &&
  a.value === b.value &&
  JSON.stringify(a.histogram ?? null) === JSON.stringify(b.histogram ?? null) &&
  a.service === b.service &&
  a.level === b.level;

/** Compares two multisets of identities: what is expected and not there, what is there and not expected (or twice). */
function diff(expected: Iterable<string>, stored: readonly string[]): { missing: string[]; unexpected: string[] } {
  const left = new Map<string, number>();
  for (const k of expected) left.set(k, (left.get(k) ?? 0) + 1);
  const unexpected: string[] = [];
  for (const k of stored) {
    const n = left.get(k) ?? 0;
    if (n > 0) left.set(k, n - 1);
    else unexpected.push(k);
  }
  return { missing: [...left].flatMap(([k, n]) => Array<string>(n).fill(k)), unexpected };
}

/**
 * Accounts for every produced event: on the stream (reference reader), in the windows
 * (reference item reader, compared with the identities the oracle assigns each window),
 * in the late output of every size, in quarantine.
 */
export function accountEvents(
  produced: ProducedEvents,
  expected: OracleResult,
  stored: { windows: Map<string, OracleWindow>; sideOutputs: ReferenceSideOutputs },
  sizes: readonly number[],
): EventAccount {
  const finest = Math.min(...sizes);
  const ids = produced.acknowledged;
  const missingFromStream = [...ids.keys()].filter((k) => !expected.events.has(k));
  const notProduced = [...expected.events.keys()].filter((k) => !ids.has(k));
  const alteredOnStream = [...ids].filter(([k, e]) => {
    const s = expected.events.get(k);
    return s !== undefined && !sameEvent(e, s);
  });
  const isFinestEvents = (w: string) => !w.startsWith('log-host|') && w.split('|')[3] === String(finest);

  let lost = missingFromStream.length;
  let doubleCounted = notProduced.length;
  let windowed = 0;
  const miscounted: MiscountedWindow[] = [];
  for (const w of new Set([...expected.assigned.keys(), ...stored.windows.keys()])) {
    const want = expected.assigned.get(w) ?? [];
    const have = stored.windows.get(w)?.samples ?? 0;
    if (isFinestEvents(w)) {
      windowed += have;
      lost += Math.max(0, want.length - have);
      doubleCounted += Math.max(0, have - want.length);
    }
    if (have !== want.length) miscounted.push({ window: w, expected: want, stored: have });
  }

  const lateMissing: string[] = [];
  const lateUnexpected: string[] = [];
  for (const size of sizes) {
    const d = diff(expected.lateKeys.get(size) ?? [], stored.sideOutputs.late.get(size) ?? []);
    lateMissing.push(...d.missing.map((k) => `${size}:${k}`));
    lateUnexpected.push(...d.unexpected.map((k) => `${size}:${k}`));
    if (size === finest) {
      lost += d.missing.length;
      doubleCounted += d.unexpected.length;
    }
  }
  const q = diff(expected.quarantinedKeys, stored.sideOutputs.quarantinedEvents);
  lost += q.missing.length;
  doubleCounted += q.unexpected.length;

  return {
    produced: ids.size,
    onStream: expected.events.size,
    windowed,
    late: stored.sideOutputs.late.get(finest)?.length ?? 0,
    quarantined: stored.sideOutputs.quarantinedEvents.length,
    lost,
    doubleCounted,
    missingFromStream,
    notProduced,
    alteredOnStream: alteredOnStream.map(([k]) => k),
    miscounted,
    lateMissing,
    lateUnexpected: [
      ...lateUnexpected,
      ...Array<string>(stored.sideOutputs.lateUnread).fill('<late item without a readable event>'),
    ],
    quarantineMissing: q.missing,
    quarantineUnexpected: q.unexpected,
  };
}

/**
 * Asserts the per-identity checks of an account (see the module comment): produced = unique
 * on the stream, as produced; every window, late output and the quarantine exactly as the
 * oracle has them. Each check fails with the identities it names.
 */
export function expectEveryIdentityOnce(account: EventAccount): void {
  expect(account.missingFromStream).toEqual([]);
  expect(account.notProduced).toEqual([]);
  expect(account.alteredOnStream).toEqual([]);
  expect(account.miscounted).toEqual([]);
  expect([account.lateMissing, account.lateUnexpected]).toEqual([[], []]);
  expect([account.quarantineMissing, account.quarantineUnexpected]).toEqual([[], []]);
}
