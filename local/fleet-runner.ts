/**
 * The synthetic fleet in local mode, through the real producer, at a target rate: one
 * tick of every host per `hosts × 6 / rate` seconds. Event time starts `backfillMs` in
 * the past and advances 10 s per tick until it reaches the present, then follows the
 * clock: the charts have history at once, and events stay in order (nothing is late or
 * ahead of its arrival).
 */
import type { Producer } from '#core/produce/producer.js';
import { SyntheticFleet } from '#core/sources/synthetic-fleet.js';

/** Events a host emits per tick: 5 metric samples and 1 log event. */
const EVENTS_PER_HOST_TICK = 5 + 1;
/** Event time a tick advances while it replays history. */
const TICK_EVENT_MS = 10_000;
/** Default history replayed at the start of a run. */
const DEFAULT_BACKFILL_MS = 30 * 60_000;

/** How the fleet produces. */
export interface FleetRunnerOptions {
  producer: Producer;
  hosts: number;
  /** Target events per second. */
  rate: number;
  /** Stop after this many events (undefined: until {@link FleetRunner.stop}). */
  maxEvents?: number;
  /** How far in the past event time starts (default 30 minutes). */
  backfillMs?: number;
  /** The run continues an earlier one: no history (it would only be late). */
  resumed: boolean;
  /** Called once the history is in, when sources that produce at the present may start. */
  onPresent: () => void;
}

/** See the module comment. */
export class FleetRunner {
  private stopping = false;

  constructor(private readonly o: FleetRunnerOptions) {}

  /** Asks {@link run} to stop after the current tick. */
  stop(): void {
    this.stopping = true;
  }

  /** Produces until stopped or `maxEvents` are put, then flushes the producer. */
  async run(): Promise<void> {
    const { producer } = this.o;
    const fleet = new SyntheticFleet({ hosts: this.o.hosts });
    const perTick = this.o.hosts * EVENTS_PER_HOST_TICK;
    const tickMs = (perTick / this.o.rate) * 1000;
    const t0 = Date.now();
    // A resumed run continues in the present: history before it would only be late.
    const eventStart = t0 - (this.o.resumed ? 0 : (this.o.backfillMs ?? DEFAULT_BACKFILL_MS));
    let last = 0;
    let clocksStarted = false;
    for (let tick = 0; !this.stopping; tick++) {
      if (this.o.maxEvents !== undefined && producer.stats().eventsPut >= this.o.maxEvents) break;
      const due = t0 + tick * tickMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      last = Math.max(last, Math.min(Date.now(), eventStart + tick * TICK_EVENT_MS));
      // The history is in: the sources that produce at the present may start.
      if (!clocksStarted && last >= Date.now() - TICK_EVENT_MS) {
        clocksStarted = true;
        this.o.onPresent();
      }
      const { metrics, logs } = fleet.tick(new Date(last));
      for (const m of metrics) await producer.put('MetricSample', m);
      for (const l of logs) await producer.put('LogEvent', l);
    }
    // A run that stopped producing during the history (--events) still runs its sources.
    if (!clocksStarted) this.o.onPresent();
    await producer.flush();
  }
}
