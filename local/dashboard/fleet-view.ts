/**
 * The fleet as a chart can show it at a thousand hosts: per window start, the spread
 * of the hosts' values (min, median, p95, max across hosts, by nearest rank) and a few
 * hosts as lines, instead of one line per host. Pure functions over plain values: the
 * dashboard's server computes them, the browser only draws.
 */

/** One host's value in one window: a statistic of its window (average, p95, …), null when it has none. */
export interface HostPoint {
  host: string;
  start: number;
  value: number | null;
}

/** A fleet chart's data: bounded by the number of windows and `top`, not by the number of hosts. */
export interface FleetView {
  /** Window starts (epoch ms), oldest first. */
  starts: number[];
  /** Hosts with a value, per start. */
  reporting: number[];
  /** Across hosts, per start (null where no host has a value). */
  min: (number | null)[];
  p50: (number | null)[];
  p95: (number | null)[];
  max: (number | null)[];
  /** The hosts with the highest mean over the range, highest first, aligned on `starts`. */
  top: { host: string; values: (number | null)[] }[];
  /** Distinct hosts with at least one value in the range. */
  hosts: number;
}

/** Host names in reading order: server-2 before server-10. */
export const HOST_ORDER = new Intl.Collator('en', { numeric: true }).compare;

/**
 * The nearest-rank percentile of ascending values: the smallest value with at least
 * `q` of the values at or below it (q = 0: the minimum). Always a value some host has.
 * @throws RangeError when `sorted` is empty or `q` is outside [0, 1]
 */
export function nearestRank(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('nearestRank of no values: check the length first');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile ${q} is outside [0, 1]`);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

/**
 * The fleet view of a set of host points: percentiles across hosts per start, and the
 * `top` hosts by the mean of their values over the range (ties: host order). The mean
 * over the range, not the latest window: the latest window is still filling and hosts
 * report into it at different moments, so ranking by it would reshuffle the lines and
 * their legend at every refresh; a host's spike shows in the max band, and the host
 * picker shows any host.
 */
export function fleetView(points: Iterable<HostPoint>, options: { top: number }): FleetView {
  const byStart = new Map<number, number[]>();
  const byHost = new Map<string, Map<number, number>>();
  for (const p of points) {
    if (!byStart.has(p.start)) byStart.set(p.start, []);
    if (p.value === null || !Number.isFinite(p.value)) continue;
    (byStart.get(p.start) as number[]).push(p.value);
    let series = byHost.get(p.host);
    if (!series) byHost.set(p.host, (series = new Map()));
    series.set(p.start, p.value);
  }
  const starts = [...byStart.keys()].sort((a, b) => a - b);
  const view: FleetView = { starts, reporting: [], min: [], p50: [], p95: [], max: [], top: [], hosts: byHost.size };
  for (const start of starts) {
    const values = (byStart.get(start) as number[]).sort((a, b) => a - b);
    view.reporting.push(values.length);
    const at = (q: number) => (values.length === 0 ? null : nearestRank(values, q));
    view.min.push(at(0));
    view.p50.push(at(0.5));
    view.p95.push(at(0.95));
    view.max.push(at(1));
  }
  const ranked = [...byHost].map(([host, series]) => {
    let sum = 0;
    for (const v of series.values()) sum += v;
    return { host, series, mean: sum / series.size };
  });
  ranked.sort((a, b) => b.mean - a.mean || HOST_ORDER(a.host, b.host));
  view.top = ranked.slice(0, Math.max(0, options.top)).map(({ host, series }) => ({
    host,
    values: starts.map((s) => series.get(s) ?? null),
  }));
  return view;
}
