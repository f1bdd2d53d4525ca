/**
 * The fleet's windows as the dashboard reads them: every metric of every host over the
 * dashboard's range, read once and shared by the requests of a refresh (ten charts and
 * the host list ask within milliseconds of each other).
 */
import type { WindowView } from '#core/projections/window-reader.js';
import { HOST_ORDER } from './fleet-view.js';

/** One read of the fleet. */
export interface FleetSnapshot {
  /** When the read started (epoch ms). */
  at: number;
  /** Windows by metric name, ordered by time then host. */
  byMetric: ReadonlyMap<string, readonly WindowView[]>;
  /** Every host with a window in the range, in host order. */
  hosts: readonly string[];
}

/**
 * Reads fleet snapshots on demand. A snapshot is reused while it is younger than
 * `minAgeMs` or twice the time its read took, whichever is longer: the read of a large
 * fleet runs on the event loop the local pipeline runs on, so the dashboard takes at
 * most about a third of it however often browsers ask. Concurrent requests share one read.
 */
export class FleetSnapshots {
  private current: { snapshot: FleetSnapshot; tookMs: number } | undefined;
  private reading: Promise<FleetSnapshot> | undefined;

  constructor(
    private readonly read: () => Promise<WindowView[]>,
    private readonly options: { minAgeMs: number; now?: () => number } = { minAgeMs: 1_000 },
  ) {}

  /** The current snapshot, or a new one when it is too old. */
  async get(): Promise<FleetSnapshot> {
    const now = this.options.now ?? Date.now;
    const c = this.current;
    if (c && now() - c.snapshot.at < Math.max(this.options.minAgeMs, 2 * c.tookMs)) return c.snapshot;
    this.reading ??= this.load(now).finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async load(now: () => number): Promise<FleetSnapshot> {
    const at = now();
    const windows = await this.read();
    const byMetric = new Map<string, WindowView[]>();
    const hosts = new Set<string>();
    for (const w of windows) {
      let list = byMetric.get(w.series);
      if (!list) byMetric.set(w.series, (list = []));
      list.push(w);
      hosts.add(w.host);
    }
    const snapshot: FleetSnapshot = { at, byMetric, hosts: [...hosts].sort(HOST_ORDER) };
    this.current = { snapshot, tookMs: now() - at };
    return snapshot;
  }
}
