/**
 * What a local run measures while it runs: the hot path's counters, the latency from
 * stream arrival to visible window (one sample per record), and the time spent in the
 * hot-path handler and in delivery (for the cost model). The runners record into it; the
 * live view, the summary and measured.json read it.
 */
import type { BatchCounters } from '#core/projections/window-projection.js';

/** Latencies kept for the summary (about 1.6 MB); later ones count only in the live view. */
const MAX_LATENCIES = 200_000;
/** Latencies the live view sorts (every two seconds, on the event loop the pipeline runs on). */
const RECENT_LATENCIES = 10_000;

/** Percentiles of the latency from stream arrival to window written (ms). */
export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
  samples: number;
}

/** The `p` quantile (0–1) of ascending `sorted` by the nearest rank below; 0 when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] as number;
}

/** See the module comment. */
export class RunMeter {
  /** The hot path's counters in this run (window items written and their write units, late, quarantined, event-time lag). */
  readonly hot = { windowsWritten: 0, writeUnits: 0, late: 0, quarantined: 0, lagMs: 0 };
  /** Time spent in the hot-path handler and in delivery, ms. */
  readonly timing = { hotPathMs: 0, lakeMs: 0 };
  /** Events the hot path read in this run. */
  eventsIn = 0;
  /** When the run started producing (ms since the epoch; set by {@link start}). */
  startedAt = Date.now();
  private readonly latencies: number[] = [];
  /** The latest latencies, for the live view (a ring). */
  private readonly recent: number[] = new Array<number>(RECENT_LATENCIES);
  private recentAt = 0;

  /** Marks the start of the run (events per second count from here). */
  start(): void {
    this.startedAt = Date.now();
  }

  /** Adds an invocation's counters of the hot path. */
  recordBatch(c: BatchCounters): void {
    this.hot.windowsWritten += c.windowsWritten;
    this.hot.writeUnits += c.writeUnits;
    this.hot.late += c.late;
    this.hot.quarantined += c.quarantined;
    this.eventsIn += c.eventsIn;
    if (c.eventTimeLagMs > 0) this.hot.lagMs = c.eventTimeLagMs;
  }

  /** Adds one record's time from stream arrival to visible window. */
  recordLatency(ms: number): void {
    if (this.latencies.length < MAX_LATENCIES) this.latencies.push(ms);
    this.recent[this.recentAt++ % this.recent.length] = ms;
  }

  /** How many latencies are recorded so far: a mark for {@link latency}. */
  get latencySamples(): number {
    return this.latencies.length;
  }

  /** Percentiles of the latencies from mark `from` to mark `to` (see {@link latencySamples}). */
  latency(from = 0, to?: number): LatencyPercentiles {
    const sorted = this.latencies.slice(from, to).sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
      samples: sorted.length,
    };
  }

  /** The 95th percentile of the latest {@link RECENT_LATENCIES} latencies, or null before any. */
  recentP95(): number | null {
    const sorted = this.recent.slice(0, Math.min(this.recentAt, this.recent.length)).sort((a, b) => a - b);
    return sorted.length === 0 ? null : percentile(sorted, 0.95);
  }
}
