/**
 * The scheduled collector: at each tick, every configured server reports the
 * five standard metrics, as the pipelines Pulse replaces did every 5 minutes.
 * A tick is a pure function of its scheduled time: the same tick always yields
 * the same events with the same identities (`producer_id` from the tick time,
 * values seeded by it), so a repeated tick can be recognised downstream.
 */
import { type InputEvent } from './input.js';
import { produceUnit, type StreamTarget, unitProducerId } from './emit.js';
import { SyntheticFleet } from './synthetic-fleet.js';

/** Settings of the collector (defaults as data). */
export interface CollectorConfig {
  /** Servers per tick, named server-001 … (default 10). */
  hosts: number;
}

/** Defaults of {@link CollectorConfig}. */
export const COLLECTOR_DEFAULTS: Readonly<CollectorConfig> = Object.freeze({ hosts: 10 });

/** A collector setting is invalid. */
export class CollectorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CollectorConfigError';
  }
}

/**
 * Validates collector settings.
 * @throws CollectorConfigError naming the setting
 */
export function collectorConfig(partial: Partial<CollectorConfig> = {}): CollectorConfig {
  const c = { ...COLLECTOR_DEFAULTS, ...partial };
  if (!Number.isInteger(c.hosts) || c.hosts < 1 || c.hosts > 999) {
    throw new CollectorConfigError(`collector hosts must be an integer from 1 to 999, got ${c.hosts}`);
  }
  return c;
}

/** The events of the tick scheduled at `at` (metrics only; event time = the tick). */
export function tickEvents(config: CollectorConfig, at: Date): InputEvent[] {
  const fleet = new SyntheticFleet({ hosts: config.hosts, seed: at.getTime() % 4_294_967_296 });
  return fleet.tick(at).metrics.map((body) => ({ type: 'MetricSample' as const, body }));
}

/** What one tick produced. */
export interface TickResult extends Record<string, unknown> {
  /** The tick's scheduled time, ISO-8601. */
  tick: string;
  producerId: string;
  produced: number;
}

/**
 * Produces the tick scheduled at `at`, by `deadline` (epoch ms).
 * @throws ProduceTimeoutError when Kinesis did not accept every event in time (the tick is then retried)
 */
export async function collectTick(
  target: StreamTarget,
  config: CollectorConfig,
  at: Date,
  deadline: number,
): Promise<TickResult> {
  const producerId = unitProducerId('collector', at.toISOString());
  const produced = await produceUnit(target, producerId, tickEvents(config, at), deadline);
  return { tick: at.toISOString(), producerId, produced };
}
