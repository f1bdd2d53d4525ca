/**
 * Typed configuration of the CDK app, read from CDK context and validated at
 * synth with messages that name the key and the accepted values.
 */
import { STAGE_PATTERN } from '#core/resources.js';
import { WINDOWING_DEFAULTS, type WindowingConfig, windowingConfig } from '#core/windows/config.js';
import {
  bool,
  ConfigError,
  consumerNames,
  email,
  int,
  integerSetting,
  listedHosts,
  schedule,
} from './context-values.js';
import { APP_DEFAULTS, OBSERVABILITY_DEFAULTS } from './defaults.js';

export { ConfigError } from './context-values.js';

/** Validated configuration. */
export interface PulseConfig {
  stage: string;
  streamMode: 'on-demand' | 'provisioned';
  shardCount: number;
  retentionHours: number;
  /** Hot-path event source mapping and function. */
  hotPath: {
    batchSize: number;
    maxBatchingWindowSeconds: number;
    retryAttempts: number;
    flushIntervalSeconds: number;
    maxRecordAgeSeconds: number;
    memoryMb: number;
    timeoutSeconds: number;
  };
  /** Windowing (see core/windows/config.ts for meaning and defaults). */
  windowing: WindowingConfig;
  /** Cold path: Firehose buffering, Athena guard, workflow schedule. */
  lake: {
    bufferSizeMb: number;
    bufferIntervalSeconds: number;
    bytesScannedCutoffGb: number;
    workflowSchedule: string;
  };
  /** Event sources: collector schedule and size, ingest API throttling. */
  sources: {
    /** EventBridge schedule expression of the collector: `rate(...)` or `cron(...)`. */
    collectorSchedule: string;
    /** Servers per collector tick, 1–999. */
    collectorHosts: number;
    /** Ingest API stage throttling: steady requests per second. */
    ingestRateLimit: number;
    /** Ingest API stage throttling: burst size. */
    ingestBurstLimit: number;
  };
  /** Enhanced fan-out consumers of the stream (see infra/constructs/consumers.ts). */
  consumers: {
    /** The hot path reads through its own enhanced fan-out consumer (lower latency, own 2 MB/s per shard). */
    hotPathFanOut: boolean;
    /** Named enhanced fan-out consumers for external subscribers, each with a policy to attach. */
    external: string[];
  };
  /** Dashboard, alarms and their topic (see infra/constructs/observability.ts and docs/runbook.md). */
  observability: {
    /** Subscribed to the alarm topic when set. */
    alarmEmail?: string;
    /** The hot path's iterator age above this alarms, seconds. */
    iteratorAgeAlarmSeconds: number;
    /** The lake bucket above this alarms, GB. */
    lakeSizeAlarmGb: number;
    /** More quarantined events than this in 5 minutes alarms. */
    quarantineAlarmPerFiveMinutes: number;
    /** More late events than this in 5 minutes alarms. */
    lateAlarmPerFiveMinutes: number;
    /** More rows of dropped files rejected than this in an hour alarms. */
    rejectedRowsAlarmPerHour: number;
    /**
     * Fleet views at a fixed cost: distributions of the standard metrics across hosts
     * (5 custom metrics), one log line per host and minute, their widgets and the fleet CPU alarm.
     */
    fleetMetrics: boolean;
    /** Hosts that also get per-host custom metrics (5 each), widgets and a CPU alarm; at most MAX_FLEET_METRIC_HOSTS. */
    fleetMetricHosts: string[];
  };
}

/**
 * The settings of a Pulse deployment, flat: the CDK context keys of the app
 * (`-c key=value`) and the props of the `PulsePipeline` construct. Every one is
 * optional; defaults are in `infra/defaults.ts` (APP_DEFAULTS, OBSERVABILITY_DEFAULTS) and
 * the README table.
 * Context gives strings; numbers may come as strings.
 */
export interface PulseSettings {
  /** Resource names `pulse-<stage>-…`: lower-case letters, digits, dashes. */
  stage?: string;
  /** `on-demand` (default) or `provisioned`. */
  streamMode?: 'on-demand' | 'provisioned';
  /** Shards when provisioned (1–500). */
  shardCount?: number | string;
  /** Stream retention, hours (24–8760). */
  retentionHours?: number | string;
  /** Hot-path records per invocation (1–10000). */
  batchSize?: number | string;
  /** Seconds the hot path waits to fill a batch (0–300). */
  maxBatchingWindowSeconds?: number | string;
  /** Retries before a batch goes to the failure bucket (0–10000). */
  retryAttempts?: number | string;
  /** Seconds the hot path holds window state before writing it (0–900; 0: every batch writes). */
  flushIntervalSeconds?: number | string;
  /** Older records go to the failure bucket (60–604800, at most the retention). */
  maxRecordAgeSeconds?: number | string;
  /** Hot-path function memory, MB (128–10240). */
  memoryMb?: number | string;
  /** Hot-path function timeout, seconds (10–900). */
  timeoutSeconds?: number | string;
  /** Tumbling window sizes, ms, comma-separated or a list. */
  windowSizesMs?: string | number[];
  /** Watermark bound, ms. */
  outOfOrdernessMs?: number | string;
  /** Allowed lateness, ms. */
  allowedLatenessMs?: number | string;
  /** Also count logs per (host, level, window): `true` or `false` (default). */
  logCountsByHost?: boolean | string;
  /** Firehose buffer size, MB (64–128). */
  bufferSizeMb?: number | string;
  /** Firehose buffer interval, seconds (60–900). */
  bufferIntervalSeconds?: number | string;
  /** Athena scan cutoff, GB. */
  bytesScannedCutoffGb?: number | string;
  /** Gold workflow schedule (EventBridge expression). */
  workflowSchedule?: string;
  /** Collector schedule (EventBridge expression). */
  collectorSchedule?: string;
  /** Servers per collector tick (1–999). */
  collectorHosts?: number | string;
  /** Ingest API requests per second (1–10000). */
  ingestRateLimit?: number | string;
  /** Ingest API burst (1–5000). */
  ingestBurstLimit?: number | string;
  /** E-mail address subscribed to the alarm topic (default: none). */
  alarmEmail?: string;
  /** Hot-path iterator age alarm, seconds (60–604800, below maxRecordAgeSeconds). */
  iteratorAgeAlarmSeconds?: number | string;
  /** Lake bucket size alarm, GB (1–1000000). */
  lakeSizeAlarmGb?: number | string;
  /** Quarantined events per 5 minutes above which an alarm fires (0–1000000). */
  quarantineAlarmPerFiveMinutes?: number | string;
  /** Late events per 5 minutes above which an alarm fires (0–1000000). */
  lateAlarmPerFiveMinutes?: number | string;
  /** Rows of dropped files rejected per hour above which an alarm fires (0–100000000). */
  rejectedRowsAlarmPerHour?: number | string;
  /** Fleet distributions, per-host log lines, their widgets and the fleet CPU alarm: `true` (default) or `false`. */
  fleetMetrics?: boolean | string;
  /** Hosts with per-host custom metrics: names, comma-separated or a list (default none; at most 50). */
  fleetMetricHosts?: string | string[];
  /** The hot path reads through an enhanced fan-out consumer: `true` or `false` (default). */
  hotPathFanOut?: boolean | string;
  /** Enhanced fan-out consumers for external subscribers: names, comma-separated or a list (default none). */
  streamConsumers?: string | string[];
}

/** Every key of {@link PulseSettings}, to read them from CDK context. */
export const SETTING_KEYS = [
  'stage',
  'streamMode',
  'shardCount',
  'retentionHours',
  'batchSize',
  'maxBatchingWindowSeconds',
  'retryAttempts',
  'flushIntervalSeconds',
  'maxRecordAgeSeconds',
  'memoryMb',
  'timeoutSeconds',
  'windowSizesMs',
  'outOfOrdernessMs',
  'allowedLatenessMs',
  'logCountsByHost',
  'bufferSizeMb',
  'bufferIntervalSeconds',
  'bytesScannedCutoffGb',
  'workflowSchedule',
  'collectorSchedule',
  'collectorHosts',
  'ingestRateLimit',
  'ingestBurstLimit',
  'alarmEmail',
  'iteratorAgeAlarmSeconds',
  'lakeSizeAlarmGb',
  'quarantineAlarmPerFiveMinutes',
  'lateAlarmPerFiveMinutes',
  'rejectedRowsAlarmPerHour',
  'fleetMetrics',
  'fleetMetricHosts',
  'hotPathFanOut',
  'streamConsumers',
] as const satisfies readonly (keyof PulseSettings)[];

// Compile-time check that SETTING_KEYS lists every setting.
type Unlisted = Exclude<keyof PulseSettings, (typeof SETTING_KEYS)[number]>;
const everySettingListed: Unlisted extends never ? true : never = true;
void everySettingListed;

/** The observability section; the iterator age alarm must fire before records age out to the failure bucket. */
function observabilityConfig(
  get: (key: keyof PulseSettings) => unknown,
  maxRecordAgeSeconds: number,
): PulseConfig['observability'] {
  const d = OBSERVABILITY_DEFAULTS;
  const setting = integerSetting(get);
  const iteratorAgeAlarmSeconds = setting('iteratorAgeAlarmSeconds', d.iteratorAgeAlarmSeconds, 60, 604_800);
  if (iteratorAgeAlarmSeconds >= maxRecordAgeSeconds) {
    throw new ConfigError(
      `context 'iteratorAgeAlarmSeconds' (${iteratorAgeAlarmSeconds}) must be below maxRecordAgeSeconds (${maxRecordAgeSeconds}): records would go to the failure bucket before the alarm fires`,
    );
  }
  const alarmEmail = email('alarmEmail', get('alarmEmail'));
  const fleetMetrics = bool('fleetMetrics', get('fleetMetrics') ?? d.fleetMetrics);
  return {
    ...(alarmEmail ? { alarmEmail } : {}),
    iteratorAgeAlarmSeconds,
    lakeSizeAlarmGb: setting('lakeSizeAlarmGb', d.lakeSizeAlarmGb, 1, 1_000_000),
    quarantineAlarmPerFiveMinutes: setting(
      'quarantineAlarmPerFiveMinutes',
      d.quarantineAlarmPerFiveMinutes,
      0,
      1_000_000,
    ),
    lateAlarmPerFiveMinutes: setting('lateAlarmPerFiveMinutes', d.lateAlarmPerFiveMinutes, 0, 1_000_000),
    rejectedRowsAlarmPerHour: setting('rejectedRowsAlarmPerHour', d.rejectedRowsAlarmPerHour, 0, 100_000_000),
    fleetMetrics,
    fleetMetricHosts: listedHosts('fleetMetricHosts', get('fleetMetricHosts') ?? d.fleetMetricHosts, fleetMetrics),
  };
}

/**
 * Builds the config from a context getter (e.g. `k => app.node.tryGetContext(k)`).
 * @throws ConfigError naming the key
 */
export function readConfig(get: (key: keyof PulseSettings) => unknown): PulseConfig {
  const setting = integerSetting(get);
  const stage = get('stage') ?? APP_DEFAULTS.stage;
  if (typeof stage !== 'string' || !STAGE_PATTERN.test(stage)) {
    throw new ConfigError(
      `context 'stage' must match ${STAGE_PATTERN} (lower-case letters, digits, dashes), got ${JSON.stringify(stage)}`,
    );
  }
  const streamMode = get('streamMode') ?? APP_DEFAULTS.streamMode;
  if (streamMode !== 'on-demand' && streamMode !== 'provisioned') {
    throw new ConfigError(
      `context 'streamMode' must be 'on-demand' or 'provisioned', got ${JSON.stringify(streamMode)}`,
    );
  }
  const rawShards = get('shardCount');
  if (streamMode === 'on-demand' && rawShards !== undefined) {
    throw new ConfigError(
      "context 'shardCount' applies only with streamMode 'provisioned': remove it or set streamMode",
    );
  }
  const retentionHours = setting('retentionHours', APP_DEFAULTS.retentionHours, 24, 8760);
  const maxRecordAgeSeconds = setting('maxRecordAgeSeconds', APP_DEFAULTS.maxRecordAgeSeconds, 60, 604_800);
  if (maxRecordAgeSeconds > retentionHours * 3600) {
    throw new ConfigError(
      `context 'maxRecordAgeSeconds' (${maxRecordAgeSeconds}) exceeds the stream retention (${retentionHours} h): records would expire first`,
    );
  }
  const logCountsByHost = bool('logCountsByHost', get('logCountsByHost') ?? WINDOWING_DEFAULTS.logCountsByHost);
  let windowing: WindowingConfig;
  try {
    const sizes = get('windowSizesMs');
    windowing = windowingConfig({
      ...(sizes === undefined
        ? {}
        : {
            windowSizesMs: String(sizes)
              .split(',')
              .map((x) => Number(x.trim())),
          }),
      ...(get('allowedLatenessMs') === undefined ? {} : { allowedLatenessMs: Number(get('allowedLatenessMs')) }),
      ...(get('outOfOrdernessMs') === undefined ? {} : { outOfOrdernessMs: Number(get('outOfOrdernessMs')) }),
      logCountsByHost,
    });
  } catch (error) {
    // The windowing validator names its setting first ('allowedLatenessMs must …'), except for sizes.
    const message = (error as Error).message;
    const key = /^(\w+) must/.exec(message)?.[1] ?? 'windowSizesMs';
    throw new ConfigError(
      message.startsWith(key) ? `context '${key}'${message.slice(key.length)}` : `context '${key}': ${message}`,
    );
  }
  return {
    stage,
    streamMode,
    shardCount: int('shardCount', rawShards ?? APP_DEFAULTS.shardCount, 1, 500),
    retentionHours,
    hotPath: {
      batchSize: setting('batchSize', APP_DEFAULTS.batchSize, 1, 10_000),
      maxBatchingWindowSeconds: setting('maxBatchingWindowSeconds', APP_DEFAULTS.maxBatchingWindowSeconds, 0, 300),
      retryAttempts: setting('retryAttempts', APP_DEFAULTS.retryAttempts, 0, 10_000),
      flushIntervalSeconds: setting('flushIntervalSeconds', APP_DEFAULTS.flushIntervalSeconds, 0, 900),
      maxRecordAgeSeconds,
      memoryMb: setting('memoryMb', APP_DEFAULTS.memoryMb, 128, 10_240),
      timeoutSeconds: setting('timeoutSeconds', APP_DEFAULTS.timeoutSeconds, 10, 900),
    },
    windowing,
    lake: {
      bufferSizeMb: setting('bufferSizeMb', APP_DEFAULTS.bufferSizeMb, 64, 128),
      bufferIntervalSeconds: setting('bufferIntervalSeconds', APP_DEFAULTS.bufferIntervalSeconds, 60, 900),
      bytesScannedCutoffGb: setting('bytesScannedCutoffGb', APP_DEFAULTS.bytesScannedCutoffGb, 1, 10_000),
      workflowSchedule: schedule('workflowSchedule', get('workflowSchedule') ?? APP_DEFAULTS.workflowSchedule),
    },
    sources: {
      collectorSchedule: schedule('collectorSchedule', get('collectorSchedule') ?? APP_DEFAULTS.collectorSchedule),
      collectorHosts: setting('collectorHosts', APP_DEFAULTS.collectorHosts, 1, 999),
      ingestRateLimit: setting('ingestRateLimit', APP_DEFAULTS.ingestRateLimit, 1, 10_000),
      ingestBurstLimit: setting('ingestBurstLimit', APP_DEFAULTS.ingestBurstLimit, 1, 5_000),
    },
    consumers: (() => {
      const hotPathFanOut = bool('hotPathFanOut', get('hotPathFanOut') ?? false);
      return {
        hotPathFanOut,
        external: consumerNames('streamConsumers', get('streamConsumers'), hotPathFanOut ? 1 : 0),
      };
    })(),
    observability: observabilityConfig(get, maxRecordAgeSeconds),
  };
}

/** Validates settings given as an object (construct props, tests). @throws ConfigError naming the key */
export function configOf(settings: PulseSettings = {}): PulseConfig {
  return readConfig((key) => settings[key]);
}
