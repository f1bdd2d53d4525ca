/**
 * Adapts the window projection to Lambda's Kinesis event and partial batch
 * response, and publishes its counters as EMF metrics. The handler module wires
 * it from the environment; local mode and tests wire it with their own clients.
 *
 * Its other metrics (the data-loss SLO's count, TimeToVisible, the fleet) are
 * handlers/lib/hot-path-metrics.ts.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { booleanEnv } from '#core/config/env.js';
import { HOT_PATH_ENV } from '#core/windows/env-names.js';
import {
  decodeHeldState,
  encodeHeldState,
  HELD_STATE_BUDGET_BYTES,
  HELD_STATE_KEY,
  type HeldState,
  heldStateBytes,
} from '#core/projections/held-state.js';
import type { BatchCounters, BatchResult, WindowProjection } from '#core/projections/window-projection.js';
import type { BatchResponse, LambdaKinesisEvent, LambdaKinesisWindowEvent } from '#core/lambda/events.js';
import { functionDimension } from './emf.js';
import { listedHostsEnv } from './fleet-metrics.js';
import { HotPathMetrics } from './hot-path-metrics.js';
import { beginInvocation } from './log-context.js';

/** What a Kinesis batch handler needs. */
export interface KinesisBatchDeps {
  projection: WindowProjection;
  logger: Logger;
  metrics: Metrics;
  /** Called with each batch's counters and its event (local mode's live view and latencies). */
  onBatch?: (counters: BatchCounters, event: LambdaKinesisEvent) => void;
  /**
   * Publish the fleet's standard metrics: distributions across hosts and one log line per
   * host and minute (handlers/lib/fleet-metrics.ts). Default: environment variable
   * `PULSE_FLEET_METRICS` (HOT_PATH_ENV.fleetMetrics: `true` / `false`; unset: off).
   */
  fleetMetrics?: boolean;
  /**
   * Hosts that also get per-host metrics (dimension `host`), with fleet metrics on; no
   * other host ever does. Default: environment variable `PULSE_FLEET_METRIC_HOSTS`
   * (HOT_PATH_ENV.fleetMetricHosts; comma-separated, at most MAX_FLEET_METRIC_HOSTS; unset: none).
   */
  fleetMetricHosts?: readonly string[];
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

/**
 * Builds the Lambda handler for one projection. Without a tumbling window every batch
 * writes its windows; with one (the event carries `state`), batches fold into the held
 * state returned to Lambda, and the windows are written at the window's final invoke.
 */
export function createKinesisBatchHandler(
  deps: KinesisBatchDeps,
): (
  event: LambdaKinesisEvent & Partial<Omit<LambdaKinesisWindowEvent, 'Records'>>,
  context?: unknown,
) => Promise<KinesisBatchResponse> {
  const functionName = deps.functionName ?? (process.env.AWS_LAMBDA_FUNCTION_NAME || undefined);
  const fleetOn = deps.fleetMetrics ?? booleanEnv(process.env, HOT_PATH_ENV.fleetMetrics) ?? false;
  const hotPathMetrics = new HotPathMetrics({
    metrics: deps.metrics,
    logger: deps.logger,
    functionName,
    fleet: fleetOn,
    listedHosts: deps.fleetMetricHosts
      ? new Set(deps.fleetMetricHosts)
      : listedHostsEnv(process.env, HOT_PATH_ENV.fleetMetricHosts),
  });
  deps.projection.onDecoded(hotPathMetrics.observe);
  const budgetBytes = deps.stateBudgetBytes ?? HELD_STATE_BUDGET_BYTES;
  /**
   * Per shard, the held state this process returned last, with its encoding: when Lambda
   * passes that same state back (the usual case: a warm process gets the shard's next
   * batch), it is used as is instead of decoded again. Any failure forgets it.
   */
  const warm = new Map<string, { encoded: string; held: HeldState }>();
  return async (event, context) => {
    // A batch has no single request id: its lines carry the shard and sequence numbers.
    if (context !== undefined) beginInvocation(deps.logger, context, undefined);
    const first = event.Records[0];
    const windowed = event.state !== undefined;
    const shardId = event.shardId ?? first?.eventID.slice(0, first.eventID.indexOf(':'));
    if (!shardId) return windowed ? { batchItemFailures: [], state: {} } : { batchItemFailures: [] };
    const given = event.state?.[HELD_STATE_KEY];
    hotPathMetrics.begin(shardId, windowed, typeof given === 'string' ? given : undefined);
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
      const kept = warm.get(shardId);
      warm.delete(shardId); // kept again only once this invocation returns
      const start = kept && kept.encoded === given ? kept.held : decodeHeldState(event.state);
      // (the state handed in is measured as it came: no second encoding)
      if (start && typeof given === 'string') encodings.set(start, { [HELD_STATE_KEY]: given });
      const answer = await deps.projection.processHeld(shardId, records, start, {
        flush: event.isFinalInvokeForWindow === true || event.isWindowTerminatedEarly === true,
        budgetBytes,
        sizeOf: (h) => {
          const encoded = encodings.get(h) ?? encodeHeldState(h);
          encodings.set(h, encoded);
          return heldStateBytes(encoded);
        },
      });
      result = answer;
      state = answer.held ? (encodings.get(answer.held) ?? encodeHeldState(answer.held)) : {};
      if (answer.held) warm.set(shardId, { encoded: state[HELD_STATE_KEY] as string, held: answer.held });
      hotPathMetrics.returnedState(shardId, state[HELD_STATE_KEY] ?? '');
    } else {
      result = await deps.projection.processBatch(shardId, records);
    }
    const c = result.counters;
    deps.onBatch?.(c, event);
    deps.metrics.addDimensions(functionDimension(functionName));
    for (const [key, name] of COUNT_METRICS) deps.metrics.addMetric(name, MetricUnit.Count, c[key] as number);
    if (c.flushed) deps.metrics.addMetric('EventTimeLag', MetricUnit.Milliseconds, c.eventTimeLagMs);
    deps.metrics.publishStoredMetrics();
    hotPathMetrics.settle(shardId, {
      failedSequenceNumber: result.failedSequenceNumber,
      flushed: c.flushed,
      stillHeld: Object.keys(state ?? {}).length > 0,
      now: Date.now(),
    });
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
