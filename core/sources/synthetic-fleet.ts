/**
 * The synthetic fleet: the default data set of the pipelines Pulse replaces.
 * Per tick, every host reports the five standard metrics (within their usual
 * ranges) and a few log lines. Deterministic for a given seed.
 */
import type { EventBody } from '#core/contract/events.js';

/** One standard metric and its range. */
export interface MetricSpec {
  metric: string;
  unit: string;
  min: number;
  max: number;
}

/** The five standard metrics and their ranges. */
export const STANDARD_METRICS: readonly MetricSpec[] = [
  { metric: 'cpu_utilization', unit: 'percent', min: 20, max: 95 },
  { metric: 'memory_usage', unit: 'percent', min: 30, max: 90 },
  { metric: 'disk_usage', unit: 'percent', min: 40, max: 85 },
  { metric: 'network_in', unit: 'mbps', min: 10, max: 500 },
  { metric: 'network_out', unit: 'mbps', min: 10, max: 500 },
];

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
const SERVICES = ['api', 'checkout', 'auth'];
/** Level weights: mostly INFO, some WARN, few ERROR. */
const LEVELS: readonly [string, number][] = [
  ['INFO', 0.8],
  ['WARN', 0.14],
  ['ERROR', 0.05],
  ['FATAL', 0.01],
];

/** Shape of the fleet. */
export interface FleetOptions {
  /** Number of hosts, named server-001 … (default 10). */
  hosts?: number;
  /** Log lines per host per tick (default 1). */
  logsPerHost?: number;
  /** Seed of the value generator (default 1). */
  seed?: number;
  /** Environment label (default 'production'). */
  environment?: string;
}

/** Host name for index `i` (0-based): `server-001`. */
export function hostName(i: number): string {
  return `server-${String(i + 1).padStart(3, '0')}`;
}

/** mulberry32: a small, fast, seedable PRNG (reproducible fleets and fault schedules; not for security). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Generates ticks of the synthetic fleet. */
export class SyntheticFleet {
  private readonly random: () => number;
  readonly hosts: string[];

  constructor(private readonly options: FleetOptions = {}) {
    this.random = seededRandom(options.seed ?? 1);
    this.hosts = Array.from({ length: options.hosts ?? 10 }, (_, i) => hostName(i));
  }

  /** Events of one tick at event time `at`: metrics of every host, then its log lines. */
  tick(at: Date): { metrics: EventBody<'MetricSample'>[]; logs: EventBody<'LogEvent'>[] } {
    const metrics: EventBody<'MetricSample'>[] = [];
    const logs: EventBody<'LogEvent'>[] = [];
    const environment = this.options.environment ?? 'production';
    this.hosts.forEach((host, i) => {
      const region = REGIONS[i % REGIONS.length] as string;
      for (const m of STANDARD_METRICS) {
        const value = Math.round((m.min + this.random() * (m.max - m.min)) * 100) / 100;
        metrics.push({
          occurred_at: at,
          host,
          metric: m.metric,
          value,
          unit: m.unit,
          region,
          environment,
          tags: {},
          source: 'collector',
        });
      }
      for (let k = 0; k < (this.options.logsPerHost ?? 1); k++) {
        const service = SERVICES[Math.floor(this.random() * SERVICES.length)] as string;
        const level = this.level();
        logs.push({
          occurred_at: at,
          host,
          service,
          level,
          message: `${service} ${level === 'INFO' ? 'request served' : 'request failed'}`,
          region,
          environment,
          attributes: { request_id: Math.floor(this.random() * 1e9).toString(36) },
        });
      }
    });
    return { metrics, logs };
  }

  private level(): string {
    let r = this.random();
    for (const [level, weight] of LEVELS) {
      if (r < weight) return level;
      r -= weight;
    }
    return 'INFO';
  }
}
