/**
 * Which schema version a producer writes each event with.
 *
 * By default the latest, with one exception: a MetricSample without a histogram is
 * written with the latest version that has no `histogram` field (v2). Two reasons:
 * - bytes: v3's empty histogram is one more byte per event (the union's null branch),
 *   about 1 % of a fleet sample, on every event of every host, for a field most never use;
 * - rollout: a stream consumer that has not yet added v3 to its schemas keeps reading
 *   every plain sample; only histogram samples carry a fingerprint it does not know.
 * Every reader from v1 on reads both (full-transitive compatibility), so the mix is safe.
 */
import { InvalidEventError } from './errors.js';
import type { EventType } from './events.js';
import type { SchemaRegistry, SchemaVersion } from './registry.js';

const hasField = (v: SchemaVersion, name: string) =>
  (v.schema as { fields: { name: string }[] }).fields.some((f) => f.name === name);

/** The writer version per event type, and for MetricSample per event. Build once per producer. */
export class WriterVersions {
  private readonly writers = new Map<EventType, SchemaVersion>();
  /** The version plain metric samples are written with (no `histogram` field), when not pinned. */
  private readonly plainMetric: SchemaVersion | undefined;
  /** Whether the MetricSample writer can carry a histogram. */
  private readonly metricHistograms: boolean;

  /**
   * @param pinned a version per type to write every event with (default: see the module comment)
   * @throws SchemaError naming a pinned version the registry does not have
   */
  constructor(registry: SchemaRegistry, pinned: Partial<Record<EventType, number>> = {}) {
    for (const v of registry.all()) {
      if (this.writers.has(v.name)) continue;
      const want = pinned[v.name];
      this.writers.set(v.name, want === undefined ? registry.latest(v.name) : registry.version(v.name, want));
    }
    const metric = this.writers.get('MetricSample');
    this.metricHistograms = metric !== undefined && hasField(metric, 'histogram');
    if (pinned.MetricSample === undefined && this.metricHistograms) {
      this.plainMetric = registry
        .versions('MetricSample')
        .filter((v) => !hasField(v, 'histogram'))
        .at(-1);
    }
  }

  /**
   * The version to write `event` with.
   * @throws InvalidEventError for a histogram sample when MetricSample is pinned to a
   *   version without `histogram` (encoding would drop the histogram silently)
   */
  of(type: EventType, event: object): SchemaVersion {
    const writer = this.writers.get(type) as SchemaVersion;
    if (type !== 'MetricSample') return writer;
    const histogram = (event as { histogram?: unknown }).histogram;
    if (histogram === undefined || histogram === null) return this.plainMetric ?? writer;
    if (!this.metricHistograms)
      throw new InvalidEventError(`MetricSample v${writer.version} (pinned)`, [
        'histogram (a histogram sample needs MetricSample v3 or later)',
      ]);
    return writer;
  }
}
