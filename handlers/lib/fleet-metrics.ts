/**
 * The fleet's standard metrics as the hot path publishes them, at a cost that does not
 * grow with custom metrics per host:
 * - a distribution per metric and minute of event time, without a host dimension: one
 *   value per host (its average), so CloudWatch computes p50, p95 and max across hosts
 *   from 5 custom metrics whatever the fleet's size;
 * - one log line per host and minute (`fleet host`, the host's averages), which the
 *   dashboard's Logs Insights widgets rank (top 10) and filter (one host): log bytes,
 *   not custom metrics;
 * - per-host metrics (dimension `host`) only for an explicit list of hosts chosen at
 *   deploy (`fleetMetricHosts`, at most {@link MAX_FLEET_METRIC_HOSTS}): never more series
 *   than the list names.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { EnvError } from '#core/config/env.js';
import type { MetricSample } from '#core/contract/events.js';
import { FLEET_HOST_LINE, FLEET_METRICS, HOST_DIMENSION, MAX_FLEET_METRIC_HOSTS } from '#core/metrics/names.js';
import type { DecodedRecord } from '#core/windows/fold.js';
import { invalidMetric } from '#core/windows/validate.js';
import { emfAccepts, functionDimension, minuteOf, publishValues, type Unit } from './emf.js';

/** One reading of a standard metric: a host's value in a minute of event time. */
export interface FleetReading {
  host: string;
  /** Start of the minute of event time, epoch ms. */
  minute: number;
  metric: string;
  value: number;
}

/** The readings of the standard metrics in a decoded record (invalid samples excluded, as the windows exclude them). */
export function fleetReadings(record: DecodedRecord): FleetReading[] {
  const out: FleetReading[] = [];
  for (const e of record.events) {
    if (e.type !== 'MetricSample') continue;
    const sample = e.event as MetricSample;
    if (!FLEET_METRICS.has(sample.metric) || invalidMetric(sample)) continue;
    // Projected readers (WINDOW_READERS) give epoch ms; full readers give a Date.
    const at = sample.occurred_at as Date | number;
    out.push({
      host: sample.host,
      minute: minuteOf(typeof at === 'number' ? at : at.getTime()),
      metric: sample.metric,
      value: sample.value,
    });
  }
  return out;
}

/** Sum and count of one metric of one host in one minute. */
interface Accumulator {
  sum: number;
  count: number;
}

/** Per minute of event time and host, the average of each standard metric over the readings added. */
export class FleetSample {
  /** minute → host → metric → accumulator */
  private readonly minutes = new Map<number, Map<string, Map<string, Accumulator>>>();

  add(readings: Iterable<FleetReading>): void {
    for (const r of readings) this.accumulate(r.minute, r.host, r.metric, r.value, 1);
  }

  /** Adds everything `other` holds. */
  merge(other: FleetSample): void {
    for (const [minute, hosts] of other.minutes)
      for (const [host, metrics] of hosts)
        for (const [metric, { sum, count }] of metrics) this.accumulate(minute, host, metric, sum, count);
  }

  get empty(): boolean {
    return this.minutes.size === 0;
  }

  /** minute → host → metric → average, rounded to 0.01 (the units are % and Mb/s). */
  averages(): Map<number, Map<string, Map<string, number>>> {
    const out = new Map<number, Map<string, Map<string, number>>>();
    for (const [minute, hosts] of [...this.minutes].sort((a, b) => a[0] - b[0])) {
      const byHost = new Map<string, Map<string, number>>();
      for (const [host, metrics] of hosts) {
        byHost.set(
          host,
          new Map([...metrics].map(([m, { sum, count }]) => [m, Math.round((sum / count) * 100) / 100])),
        );
      }
      out.set(minute, byHost);
    }
    return out;
  }

  private accumulate(minute: number, host: string, metric: string, sum: number, count: number): void {
    let hosts = this.minutes.get(minute);
    if (!hosts) this.minutes.set(minute, (hosts = new Map()));
    let metrics = hosts.get(host);
    if (!metrics) hosts.set(host, (metrics = new Map()));
    const acc = metrics.get(metric);
    if (acc) {
      acc.sum += sum;
      acc.count += count;
    } else metrics.set(metric, { sum, count });
  }
}

/** Where and how {@link publishFleet} publishes. */
export interface FleetPublishOptions {
  /** Value of the `function_name` dimension (none when undefined). */
  functionName: string | undefined;
  /** Hosts that get per-host metrics: the bounded list (empty: none). */
  listedHosts: ReadonlySet<string>;
  /** Now, epoch ms (minutes CloudWatch would drop are skipped). */
  now: number;
}

/** What {@link publishFleet} published. */
export interface FleetPublished {
  /** EMF documents of the distributions (no host dimension). */
  distributionDocuments: number;
  /** EMF documents with a `host` dimension: one per listed host and minute. */
  hostDocuments: number;
  /** `fleet host` log lines: one per host and minute. */
  hostLines: number;
}

/** Publishes a sample: distributions, per-host metrics of the listed hosts, one log line per host and minute. */
export function publishFleet(
  metrics: Metrics,
  logger: Logger,
  sample: FleetSample,
  o: FleetPublishOptions,
): FleetPublished {
  const published: FleetPublished = { distributionDocuments: 0, hostDocuments: 0, hostLines: 0 };
  const fn = functionDimension(o.functionName);
  for (const [minute, hosts] of sample.averages()) {
    if (!emfAccepts(minute, o.now)) continue;
    const values = new Map<string, { unit: Unit; values: number[] }>();
    for (const [host, averages] of hosts) {
      for (const [metric, v] of averages) {
        let m = values.get(metric);
        if (!m) values.set(metric, (m = { unit: FLEET_METRICS.get(metric) as Unit, values: [] }));
        m.values.push(v);
      }
      if (o.listedHosts.has(host)) {
        published.hostDocuments += publishValues(metrics, {
          dimensions: { ...fn, [HOST_DIMENSION]: host },
          timestamp: minute,
          metrics: new Map(
            [...averages].map(([metric, v]) => [metric, { unit: FLEET_METRICS.get(metric) as Unit, values: [v] }]),
          ),
        });
      }
      // Aggregates only (a host's averages in a minute), never an event.
      logger.info(FLEET_HOST_LINE, { host, minute: new Date(minute).toISOString(), ...Object.fromEntries(averages) });
      published.hostLines++;
    }
    published.distributionDocuments += publishValues(metrics, { dimensions: fn, timestamp: minute, metrics: values });
  }
  return published;
}

/**
 * The listed hosts from an environment variable (comma-separated; unset or empty: none).
 * @throws EnvError naming it when the list is longer than {@link MAX_FLEET_METRIC_HOSTS}
 */
export function listedHostsEnv(env: NodeJS.ProcessEnv, name: string): ReadonlySet<string> {
  const hosts = (env[name] ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (hosts.length > MAX_FLEET_METRIC_HOSTS) {
    throw new EnvError(
      `environment variable ${name} lists ${hosts.length} hosts: at most ${MAX_FLEET_METRIC_HOSTS} get per-host metrics`,
    );
  }
  return new Set(hosts);
}
