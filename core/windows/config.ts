/**
 * Windowing settings of the hot path, with defaults as data and one validator
 * shared by the Lambda handler (environment), local mode and the CDK app.
 */

import { booleanEnv } from '#core/config/env.js';
import { WINDOWING_ENV } from './env-names.js';

/** Settings of event-time windowing. */
export interface WindowingConfig {
  /** Tumbling window sizes in ms, finest first (default 1 minute and 1 hour). */
  windowSizesMs: number[];
  /** Bounded out-of-orderness of the watermark (default 30 s). */
  outOfOrdernessMs: number;
  /** Allowed lateness after the watermark passes a window's end (default 5 minutes). */
  allowedLatenessMs: number;
  /** Events further than this ahead of their record's arrival time are quarantined (default 5 minutes). */
  maxFutureSkewMs: number;
  /** Window items expire this long after the window ends (default 30 days). */
  ttlDays: number;
  /** A producer's high-water mark is forgotten after this long without events (default 24 h). */
  producerMarkTtlMs: number;
  /**
   * Also count logs per (host, level, window), beside per (service, level, window) (default
   * false). Each batch then writes one more item per host and level it saw, per window size:
   * at 10 hosts on 2 shards, a third of the hot path's writes.
   */
  logCountsByHost: boolean;
}

/** Defaults of {@link WindowingConfig}. */
export const WINDOWING_DEFAULTS: Readonly<WindowingConfig> = Object.freeze({
  windowSizesMs: [60_000, 3_600_000],
  outOfOrdernessMs: 30_000,
  allowedLatenessMs: 300_000,
  maxFutureSkewMs: 300_000,
  ttlDays: 30,
  producerMarkTtlMs: 86_400_000,
  logCountsByHost: false,
});

/** A windowing setting is invalid. */
export class WindowingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WindowingConfigError';
  }
}

/**
 * Validates a (partial) config and fills defaults.
 * @throws WindowingConfigError naming the setting
 */
export function windowingConfig(partial: Partial<WindowingConfig> = {}): WindowingConfig {
  const c = { ...WINDOWING_DEFAULTS, ...partial };
  if (c.windowSizesMs.length === 0) throw new WindowingConfigError('windowSizesMs must list at least one size');
  for (const s of c.windowSizesMs) {
    if (!Number.isInteger(s) || s < 1_000 || 86_400_000 % s !== 0) {
      throw new WindowingConfigError(
        `window size ${s} ms is invalid: use whole seconds that divide a day (e.g. 60000, 300000, 3600000)`,
      );
    }
  }
  const sorted = [...c.windowSizesMs].sort((a, b) => a - b);
  const finest = sorted[0] as number;
  for (const s of sorted) {
    // Coarser windows are derived from the finest ones, so each must be made of them.
    if (s % finest !== 0)
      throw new WindowingConfigError(
        `window size ${s} ms is not a multiple of the finest size ${finest} ms: coarser windows are built from the finest ones (e.g. 60000,3600000)`,
      );
  }
  for (const [key, min] of [
    ['outOfOrdernessMs', 0],
    ['allowedLatenessMs', 0],
    ['maxFutureSkewMs', 0],
    ['ttlDays', 1],
    ['producerMarkTtlMs', 60_000],
  ] as const) {
    const v = c[key];
    if (!Number.isInteger(v) || v < min) throw new WindowingConfigError(`${key} must be an integer ≥ ${min}, got ${v}`);
  }
  if (typeof c.logCountsByHost !== 'boolean')
    throw new WindowingConfigError(`logCountsByHost must be true or false, got ${String(c.logCountsByHost)}`);
  return { ...c, windowSizesMs: sorted };
}

/** Every windowing setting has its variable (a compile-time check). */
void (WINDOWING_ENV satisfies Record<keyof WindowingConfig, string>);

/**
 * Reads the config from environment variables, named by {@link WINDOWING_ENV}
 * (`PULSE_WINDOW_SIZES_MS=60000,3600000`, `PULSE_LOG_COUNTS_BY_HOST=true`, …).
 * @throws WindowingConfigError for a malformed number or setting, EnvError for a malformed boolean
 */
export function windowingConfigFromEnv(env: NodeJS.ProcessEnv): WindowingConfig {
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n))
      throw new WindowingConfigError(`environment variable ${name} must be a number, got '${raw}'`);
    return n;
  };
  const sizes = env[WINDOWING_ENV.windowSizesMs];
  const partial: Partial<WindowingConfig> = {};
  if (sizes) partial.windowSizesMs = sizes.split(',').map((s) => Number(s.trim()));
  for (const key of [
    'outOfOrdernessMs',
    'allowedLatenessMs',
    'maxFutureSkewMs',
    'ttlDays',
    'producerMarkTtlMs',
  ] as const) {
    const v = num(WINDOWING_ENV[key]);
    if (v !== undefined) partial[key] = v;
  }
  const byHost = booleanEnv(env, WINDOWING_ENV.logCountsByHost);
  if (byHost !== undefined) partial.logCountsByHost = byHost;
  return windowingConfig(partial);
}
