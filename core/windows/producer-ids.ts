/**
 * Ephemeral producers: a unit of work that can never be sent again under the same
 * identity (an ingest request without an `Idempotency-Key`: a client's retry is a new
 * request, with new identities). Its events can only be duplicated by the producer's
 * own retries, within seconds, so its dedup marks matter only briefly. Marks of
 * ephemeral producers are dropped first when a shard's marks pass their bound, and an
 * hour after they were last seen, so a flood of keyless requests never evicts the marks
 * of producers whose late redeliveries must still be recognised.
 *
 * The identity says it: `<source>:~<16 hex digits>` (durable units are `<source>:<hex>`).
 */
import { randomBytes } from 'node:crypto';

/** How long marks of an ephemeral producer are kept after it was last seen, ms. */
export const EPHEMERAL_MARK_TTL_MS = 3_600_000;

/** A new ephemeral producer id of `source`. */
export function ephemeralProducerId(source: string): string {
  return `${source}:~${randomBytes(8).toString('hex')}`;
}

/** Whether `producerId` names an ephemeral producer (see the module comment). */
export function isEphemeralProducer(producerId: string): boolean {
  const colon = producerId.indexOf(':');
  return colon >= 0 && producerId.charCodeAt(colon + 1) === 0x7e; // '~'
}
