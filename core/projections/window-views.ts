/**
 * From stored items to the windows users ask for: a packed item holds every
 * measure of one (host, window) or (service, window); this module expands it into
 * one window per (metric, host), per (service, level) and per (host, level), and
 * derives every coarser window size from the finest windows it covers plus the
 * coarser size's own item, which holds only the events that were late for their
 * finest window but on time for the coarser one (see core/windows/fold.ts). Every
 * aggregate is mergeable (count, exact sum, min, max, last, sketch bins), so a
 * derived hour equals the hour computed from its events directly. Pure.
 */
import { cloneAggregate, type MetricAggregate } from '#core/windows/aggregates.js';
import type { WindowItemKey } from '#core/windows/fold.js';
import { mergePartial } from './held-state.js';
import type { WindowItem } from './window-items.js';

/** One window of one series. */
export interface SeriesWindow {
  /** `metric`: a metric of a host; `log-service` / `log-host`: log counts of a level. */
  kind: 'metric' | 'log-service' | 'log-host';
  /** Metric name, or the service / host of log counts. */
  series: string;
  /** Host (metrics) or level (log counts). */
  sub: string;
  size: number;
  start: number;
  /** Events: metric samples (a histogram sample is one; its observations are `metric.count`) or log events. */
  count: number;
  /** The metric's aggregate (metric windows). */
  metric?: MetricAggregate;
}

/** The id of a series window, `<kind>|<series>|<sub>|<size>|<start>`. */
export function seriesWindowId(w: Pick<SeriesWindow, 'kind' | 'series' | 'sub' | 'size' | 'start'>): string {
  return `${w.kind}|${w.series}|${w.sub}|${w.size}|${w.start}`;
}

/** The series windows one item holds (at its own size and start). */
export function expandItem(item: Pick<WindowItem, 'key' | 'metrics' | 'levels'>): SeriesWindow[] {
  const { kind, name, size, start } = item.key;
  const out: SeriesWindow[] = [];
  for (const [metric, m] of item.metrics) {
    out.push({ kind: 'metric', series: metric, sub: name, size, start, count: m.samples, metric: m });
  }
  for (const [level, n] of item.levels) {
    out.push({ kind: kind === 'host' ? 'log-host' : 'log-service', series: name, sub: level, size, start, count: n });
  }
  return out;
}

/**
 * The items of size `size` as users see them: stored as they are for the finest size;
 * for a coarser size, each window merges the finest items inside it with the coarser
 * size's correction item. `items` may hold items of any size; those not needed are ignored.
 */
export function itemsAtSize(
  items: readonly Pick<WindowItem, 'key' | 'metrics' | 'levels'>[],
  size: number,
  finest: number,
): Pick<WindowItem, 'key' | 'metrics' | 'levels'>[] {
  if (size === finest) return items.filter((i) => i.key.size === finest);
  const merged = new Map<string, Pick<WindowItem, 'key' | 'metrics' | 'levels'>>();
  for (const item of items) {
    if (item.key.size !== finest && item.key.size !== size) continue;
    const start = Math.floor(item.key.start / size) * size;
    const key: WindowItemKey = { kind: item.key.kind, name: item.key.name, size, start };
    const id = `${key.kind}|${key.name}|${start}`;
    let into = merged.get(id);
    if (!into) merged.set(id, (into = { key, metrics: new Map(), levels: new Map() }));
    mergePartial(into, item);
  }
  return [...merged.values()];
}

/** Every series window of the given sizes that the items hold or derive, by {@link seriesWindowId}. */
export function seriesWindows(
  items: readonly Pick<WindowItem, 'key' | 'metrics' | 'levels'>[],
  sizes: readonly number[],
): Map<string, SeriesWindow> {
  const finest = Math.min(...sizes);
  const out = new Map<string, SeriesWindow>();
  for (const size of sizes) {
    for (const item of itemsAtSize(items, size, finest)) {
      for (const w of expandItem(item))
        out.set(seriesWindowId(w), w.metric ? { ...w, metric: cloneAggregate(w.metric) } : w);
    }
  }
  return out;
}
