/**
 * What the hot path publishes besides each invocation's counters:
 * - the data-loss SLO's count of the stack's sources' events, by the minute they entered
 *   the stream (handlers/lib/emf.ts, SLO_EMF), for the records Lambda checkpoints;
 * - at each flush, `TimeToVisible`: for the records the flush made visible, now minus the
 *   time each entered the stream (the freshness SLO);
 * - with fleet metrics on, the fleet's standard metrics of the records a flush made
 *   visible (handlers/lib/fleet-metrics.ts).
 * The last two follow the records a shard holds between flushes in this process
 * ({@link HeldRecords}). A flush of a state another process held publishes the fleet
 * sample it has but no `TimeToVisible`: the records it did not see are the oldest, and
 * the figures would be low.
 */
import { TIME_TO_VISIBLE } from '#core/metrics/names.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { HeldRecords } from '#core/projections/visibility.js';
import { isUnitProducer } from '#core/sources/emit.js';
import type { DecodedRecord } from '#core/windows/fold.js';
import { compareSeq } from '#core/windows/position.js';
import { functionDimension, MAX_VALUES_PER_DOCUMENT, MinuteCounts, publishValues, spreadSample } from './emf.js';
import { SLO_EMF } from '#core/metrics/names.js';
import { type FleetReading, FleetSample, fleetReadings, publishFleet } from './fleet-metrics.js';

/** A record this invocation decoded, as the metrics need it. */
interface Observed {
  seq: string;
  arrivalMs: number;
  /** Events of the stack's sources (the data-loss SLO counts them). */
  unitEvents: number;
  /** Its standard fleet metrics (with fleet metrics on). */
  readings: FleetReading[] | undefined;
}

/** What the records of one invocation contribute to the flush that makes them visible. */
interface Contribution {
  arrivals: number[];
  fleet: FleetSample | undefined;
}

/** Settings of {@link HotPathMetrics}. */
export interface HotPathMetricsOptions {
  metrics: Metrics;
  logger: Logger;
  /** Value of the `function_name` dimension (none when undefined). */
  functionName: string | undefined;
  /** Publish the fleet's standard metrics. */
  fleet: boolean;
  /** Hosts that also get per-host metrics (with `fleet`). */
  listedHosts: ReadonlySet<string>;
}

/** How an invocation ended, as {@link HotPathMetrics.settle} needs it. */
export interface InvocationEnd {
  /** The partial batch failure: records from it on are sent again. */
  failedSequenceNumber: string | undefined;
  /** The invocation wrote held windows (always, without a tumbling window). */
  flushed: boolean;
  /** The state it returned holds records (tumbling window only). */
  stillHeld: boolean;
  /** Now, epoch ms. */
  now: number;
}

/** See the module comment. One per handler; one invocation per shard at a time. */
export class HotPathMetrics {
  private observed: Observed[] = [];
  private readonly held = new HeldRecords<Contribution>();
  /** Per shard, the encoded state this process returned last ('' for none). */
  private readonly returned = new Map<string, string>();
  /** Shards whose held state came from another process: their next flush publishes no TimeToVisible. */
  private readonly foreign = new Set<string>();

  constructor(private readonly o: HotPathMetricsOptions) {}

  /** For the projection's `onDecoded`: each record of the invocation as it is decoded. */
  readonly observe = (r: DecodedRecord): void => {
    let unitEvents = 0;
    for (const e of r.events) if (isUnitProducer(e.event.producer_id)) unitEvents++;
    this.observed.push({
      seq: r.sequenceNumber,
      arrivalMs: r.arrivalMs,
      unitEvents,
      readings: this.o.fleet ? fleetReadings(r) : undefined,
    });
  };

  /**
   * An invocation of `shardId` starts (what a failed one observed is decoded again on its
   * retry). `given`: the encoded state Lambda handed in, with a tumbling window.
   */
  begin(shardId: string, windowed: boolean, given: string | undefined): void {
    this.observed = [];
    if (!windowed || (given ?? '') === (this.returned.get(shardId) ?? '')) return;
    // Not the state this process returned: what it held here is not what is held now.
    this.held.forget(shardId);
    if (given !== undefined) this.foreign.add(shardId);
  }

  /** The state this invocation returned ('' for none), to recognise it when it comes back. */
  returnedState(shardId: string, encoded: string): void {
    this.returned.set(shardId, encoded);
  }

  /** An invocation succeeded: publishes its SLO count and, at a flush, what the flush made visible. */
  settle(shardId: string, end: InvocationEnd): void {
    const { metrics } = this.o;
    const fn = functionDimension(this.o.functionName);
    const cut = end.failedSequenceNumber;
    const done = cut === undefined ? this.observed : this.observed.filter((r) => compareSeq(r.seq, cut) < 0);
    const counts = new MinuteCounts();
    for (const r of done) counts.add(r.arrivalMs, r.unitEvents);
    counts.publish(metrics, SLO_EMF.hotPath, fn, SLO_EMF.shiftMs, end.now);

    const mine: Contribution = { arrivals: done.map((r) => r.arrivalMs), fleet: undefined };
    if (this.o.fleet) {
      mine.fleet = new FleetSample();
      for (const r of done) if (r.readings) mine.fleet.add(r.readings);
    }
    const visible = this.held.settle(shardId, [mine], end.flushed, end.stillHeld);
    if (!end.flushed) return;
    const arrivals = visible.flatMap((v) => v.arrivals);
    if (!this.foreign.delete(shardId) && arrivals.length > 0) {
      publishValues(metrics, {
        dimensions: fn,
        metrics: new Map([
          [
            TIME_TO_VISIBLE,
            {
              unit: MetricUnit.Milliseconds,
              values: spreadSample(
                arrivals.map((a) => Math.max(0, end.now - a)),
                MAX_VALUES_PER_DOCUMENT,
              ),
            },
          ],
        ]),
      });
    }
    if (this.o.fleet) {
      const sample = new FleetSample();
      for (const v of visible) if (v.fleet) sample.merge(v.fleet);
      publishFleet(metrics, this.o.logger, sample, {
        functionName: this.o.functionName,
        listedHosts: this.o.listedHosts,
        now: end.now,
      });
    }
  }
}
