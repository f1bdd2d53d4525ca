/**
 * The names of the hot path's environment variables, as data: the CDK app sets them on the
 * function (infra/constructs/hot-path.ts) and the handler reads them (core/windows/config.ts,
 * handlers/lib/kinesis-batch.ts, handlers/hot-path.ts), so both sides take them from here.
 * test/unit/hot-path-env.test.ts checks the synthesized function against them.
 */

/** The variable of each windowing setting (`windowingConfigFromEnv` reads them; unset: the default). */
export const WINDOWING_ENV = {
  /** Comma-separated sizes, ms (`60000,3600000`). */
  windowSizesMs: 'PULSE_WINDOW_SIZES_MS',
  outOfOrdernessMs: 'PULSE_OUT_OF_ORDERNESS_MS',
  allowedLatenessMs: 'PULSE_ALLOWED_LATENESS_MS',
  maxFutureSkewMs: 'PULSE_MAX_FUTURE_SKEW_MS',
  ttlDays: 'PULSE_WINDOW_TTL_DAYS',
  /** Not a setting of the CDK app: Lambda runs the default, local mode and tests may set it. */
  producerMarkTtlMs: 'PULSE_PRODUCER_MARK_TTL_MS',
  /** `true` or `false`. */
  logCountsByHost: 'PULSE_LOG_COUNTS_BY_HOST',
} as const;

/** The hot path's other variables: where it reads and writes, and which fleet metrics it publishes. */
export const HOT_PATH_ENV = {
  /** The window table's name (required). */
  windowTable: 'PULSE_WINDOW_TABLE',
  /** The stream's name (required): the mapping's records name their shard, not their stream. */
  streamName: 'PULSE_STREAM_NAME',
  /** Publish the fleet's distributions and per-host log lines: `true` or `false` (unset: off). */
  fleetMetrics: 'PULSE_FLEET_METRICS',
  /** Hosts that also get per-host custom metrics, comma-separated (unset or empty: none). */
  fleetMetricHosts: 'PULSE_FLEET_METRIC_HOSTS',
} as const;
