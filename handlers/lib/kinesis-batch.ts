/**
 * Adapts the window projection to Lambda's Kinesis event and partial batch
 * response, and publishes its counters as EMF metrics. The handler module wires
 * it from the environment; local mode and tests wire it with their own clients.
 *
 * With fleet metrics on, it also publishes the standard fleet metrics per host
 * (`cpu_utilization`, … with dimension `host`), stamped with the minute of event
 * time they describe, so the CloudWatch dashboard can draw one line per host.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EnvError } from '../../core/config/env.js';
import type { MetricSample } from '../../core/contract/events.js';
import {
  decodeHeldState,
  encodeHeldState,
  HELD_STATE_BUDGET_BYTES,
  HELD_STATE_KEY,
  type HeldState,
  heldStateBytes,
} from '../../core/projections/held-state.js';
import type { BatchCounters, BatchResult, WindowProjection } from '../../core/projections/window-projection.js';
import type {
  BatchResponse,
  LambdaKinesisEvent,
  LambdaKinesisWindowEvent,
} from '../../core/local/event-source-mapping.js';
import { STANDARD_METRICS } from '../../core/sources/synthetic-fleet.js';
import type { DecodedRecord } from '../../core/windows/fold.js';
import { invalidMetric } from '../../core/windows/validate.js';

/** What a Kinesis batch handler needs. */
export interface KinesisBatchDeps {
  projection: WindowProjection;
  logger: Logger;
  metrics: Metrics;
  /** Called with each batch's counters and its event (local mode's live view and latencies). */
  onBatch?: (counters: BatchCounters, event: LambdaKinesisEvent) => void;
  /**
   * Publish the standard fleet metrics per host (one EMF document per host and
   * minute of event time). Default: environment variable `PULSE_FLEET_METRICS`
   * (`true` / `false`; unset: off).
   */
  fleetMetrics?: boolean;
  /**
   * Value of the `function_name` dimension on every metric, which tells stages in
   * one account apart. Default: `AWS_LAMBDA_FUNCTION_NAME` (unset outside Lambda:
   * no such dimension).
   */
  functionName?: string;
  /** Bytes of tumbling-window state past which the held windows are flushed early (default 1,000,000 of Lambda's 1 MB). */
  stateBudgetBytes?: number;
}

/** The handler's answer: the partial batch response, plus the state to hold with a tumbling window. */
export type KinesisBatchResponse = BatchResponse & { state?: Record<string, string> };

/** Where the dashboard and alarms find the hot path's EMF metrics (infra/constructs/observability.ts). */
export const HOT_PATH_EMF = {
  namespace: 'Pulse',
  service: 'hot-path',
  /** Dimension naming the function (value: the Lambda function name). */
  functionNameDimension: 'function_name',
  /** Dimension of the per-host fleet metrics. */
  hostDimension: 'host',
} as const;

const COUNT_METRICS: [keyof BatchCounters, string][] = [
  ['eventsIn', 'EventsIn'],
  ['windowsWritten', 'WindowsWritten'],
  ['late', 'LateEvents'],
  ['quarantined', 'QuarantinedEvents'],
  ['duplicatesSkipped', 'DuplicatesSkipped'],
  ['writeRetries', 'WriteRetries'],
  ['failedWrites', 'FailedWrites'],
  ['writeUnits', 'WriteUnits'],
];

/** A Powertools metric unit. */
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * The metrics published per host: the five standard metrics of the fleet and the
 * host agent, and only those, so a host that reports other metrics adds no
 * custom metrics (each one costs money per month).
 */
export const FLEET_METRICS: ReadonlyMap<string, Unit> = new Map(
  STANDARD_METRICS.map((m) => [
    m.metric,
    m.unit === 'percent' ? MetricUnit.Percent : m.unit === 'mbps' ? MetricUnit.MegabitsPerSecond : MetricUnit.NoUnit,
  ]),
);

/** One data point per host per minute: CloudWatch's standard resolution. */
const FLEET_RESOLUTION_MS = 60_000;
/** CloudWatch drops EMF data points older than 14 days or more than 2 hours ahead; margins of an hour and a minute. */
const EMF_MAX_AGE_MS = 14 * 86_400_000 - 3_600_000;
const EMF_MAX_AHEAD_MS = 2 * 3_600_000 - 60_000;

/** Sum and count of one metric of one host in one minute. */
interface Accumulator {
  sum: number;
  count: number;
}

/** Per host and minute of event time, the average of each fleet metric in a batch. */
class FleetSampler {
  /** host → minute start → metric → accumulator */
  private readonly hosts = new Map<string, Map<number, Map<string, Accumulator>>>();

  add(record: DecodedRecord): void {
    for (const e of record.events) {
      if (e.type !== 'MetricSample') continue;
      const sample = e.event as MetricSample;
      if (!FLEET_METRICS.has(sample.metric) || invalidMetric(sample)) continue;
      // Projected readers (WINDOW_READERS) give epoch ms; full readers give a Date.
      const at = sample.occurred_at as Date | number;
      const minute =
        Math.floor((typeof at === 'number' ? at : at.getTime()) / FLEET_RESOLUTION_MS) * FLEET_RESOLUTION_MS;
      let minutes = this.hosts.get(sample.host);
      if (!minutes) this.hosts.set(sample.host, (minutes = new Map()));
      let metrics = minutes.get(minute);
      if (!metrics) minutes.set(minute, (metrics = new Map()));
      const acc = metrics.get(sample.metric);
      if (acc) {
        acc.sum += sample.value;
        acc.count++;
      } else metrics.set(sample.metric, { sum: sample.value, count: 1 });
    }
  }

  /** One EMF document per host and minute, stamped with the minute; then forgets them. */
  publish(metrics: Metrics, functionName: string | undefined, now: number): void {
    for (const [host, minutes] of this.hosts) {
      for (const [minute, values] of minutes) {
        if (minute < now - EMF_MAX_AGE_MS || minute > now + EMF_MAX_AHEAD_MS) continue;
        metrics.addDimension(HOT_PATH_EMF.hostDimension, host);
        if (functionName) metrics.addDimension(HOT_PATH_EMF.functionNameDimension, functionName);
        metrics.setTimestamp(minute);
        for (const [name, { sum, count }] of values) {
          metrics.addMetric(name, FLEET_METRICS.get(name) as Unit, sum / count);
        }
        metrics.publishStoredMetrics();
      }
    }
    this.clear();
  }

  clear(): void {
    this.hosts.clear();
  }
}

/** `true` / `false` from an environment variable; undefined when unset. @throws EnvError naming it */
function booleanEnv(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new EnvError(`environment variable ${name} must be 'true' or 'false', got ${JSON.stringify(v)}`);
}

/**
 * Builds the Lambda handler for one projection. Without a tumbling window every batch
 * writes its windows; with one (the event carries `state`), batches fold into the held
 * state returned to Lambda, and the windows are written at the window's final invoke.
 */
export function createKinesisBatchHandler(
  deps: KinesisBatchDeps,
): (event: LambdaKinesisEvent & Partial<Omit<LambdaKinesisWindowEvent, 'Records'>>) => Promise<KinesisBatchResponse> {
  const functionName = deps.functionName ?? (process.env.AWS_LAMBDA_FUNCTION_NAME || undefined);
  const fleet = (deps.fleetMetrics ?? booleanEnv(process.env, 'PULSE_FLEET_METRICS')) ? new FleetSampler() : undefined;
  if (fleet) deps.projection.onDecoded((r) => fleet.add(r));
  const budgetBytes = deps.stateBudgetBytes ?? HELD_STATE_BUDGET_BYTES;
  /**
   * Per shard, the held state this process returned last, with its encoding: when Lambda
   * passes that same state back (the usual case: a warm process gets the shard's next
   * batch), it is used as is instead of decoded again. Any failure forgets it.
   */
  const warm = new Map<string, { encoded: string; held: HeldState }>();
  return async (event) => {
    const first = event.Records[0];
    const windowed = event.state !== undefined;
    const shardId = event.shardId ?? first?.eventID.slice(0, first.eventID.indexOf(':'));
    if (!shardId) return windowed ? { batchItemFailures: [], state: {} } : { batchItemFailures: [] };
    fleet?.clear(); // what a failed invocation sampled is decoded again on its retry
    const records = event.Records.map((r) => ({
      record: r,
      sequenceNumber: r.kinesis.sequenceNumber,
      arrivalMs: Math.round(r.kinesis.approximateArrivalTimestamp * 1000),
    }));
    let result: BatchResult;
    let state: Record<string, string> | undefined;
    if (windowed) {
      // Each state measured is encoded once; the one returned was measured last (or is encoded now).
      const encodings = new WeakMap<HeldState, Record<string, string>>();
      const given = event.state?.[HELD_STATE_KEY];
      const kept = warm.get(shardId);
      warm.delete(shardId); // kept again only once this invocation returns
      const start = kept && kept.encoded === given ? kept.held : decodeHeldState(event.state);
      // (the state handed in is measured as it came: no second encoding)
      if (start && typeof given === 'string') encodings.set(start, { [HELD_STATE_KEY]: given });
      const held = await deps.projection.processHeld(shardId, records, start, {
        flush: event.isFinalInvokeForWindow === true || event.isWindowTerminatedEarly === true,
        budgetBytes,
        sizeOf: (h) => {
          const encoded = encodings.get(h) ?? encodeHeldState(h);
          encodings.set(h, encoded);
          return heldStateBytes(encoded);
        },
      });
      result = held;
      state = held.held ? (encodings.get(held.held) ?? encodeHeldState(held.held)) : {};
      if (held.held) warm.set(shardId, { encoded: state[HELD_STATE_KEY] as string, held: held.held });
    } else {
      result = await deps.projection.processBatch(shardId, records);
    }
    const c = result.counters;
    deps.onBatch?.(c, event);
    if (functionName) deps.metrics.addDimension(HOT_PATH_EMF.functionNameDimension, functionName);
    for (const [key, name] of COUNT_METRICS) deps.metrics.addMetric(name, MetricUnit.Count, c[key] as number);
    if (c.flushed) deps.metrics.addMetric('EventTimeLag', MetricUnit.Milliseconds, c.eventTimeLagMs);
    deps.metrics.publishStoredMetrics();
    fleet?.publish(deps.metrics, functionName, Date.now());
    // Counts and positions only: never payloads.
    deps.logger.info('batch processed', {
      shardId,
      records: c.records,
      eventsIn: c.eventsIn,
      windowsWritten: c.windowsWritten,
      late: c.late,
      quarantined: c.quarantined,
      duplicatesSkipped: c.duplicatesSkipped,
      writeUnits: c.writeUnits,
      flushed: c.flushed,
      failedSequenceNumber: result.failedSequenceNumber,
    });
    const batchItemFailures = result.failedSequenceNumber ? [{ itemIdentifier: result.failedSequenceNumber }] : [];
    return state === undefined ? { batchItemFailures } : { batchItemFailures, state };
  };
}
