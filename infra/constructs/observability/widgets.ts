/** What every widget of the stage's dashboard shares: the titles, the graph size and the alarm lines. */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { StageMetrics } from './metrics.js';
import { SLO_WIDGET_TITLES } from './slo.js';
import type { ObservabilityProps } from './watched.js';

/** Titles of the dashboard's widgets, in order (with the default settings; see also {@link LISTED_HOSTS_TITLES}). */
export const WIDGET_TITLES = {
  ...SLO_WIDGET_TITLES,
  fleetCpu: 'Fleet CPU across hosts, % (p50, p95, max)',
  fleetMemory: 'Fleet memory across hosts, % (p50, p95, max)',
  fleetDisk: 'Fleet disk across hosts, % (p50, p95, max; 24 hours)',
  fleetNetwork: 'Fleet network in / out across hosts, Mb/s (p95, max)',
  fleetTopHosts: 'Top 10 hosts by CPU (fleet host log lines)',
  fleetHost: 'One host: set the Host variable (fleet host log lines)',
  hotPathInvocations: 'Hot path invocations, errors and error rate',
  iteratorAge: 'Iterator age (hot path and stream), ms',
  events: 'Events in / out',
  sideOutputs: 'Late, quarantined, duplicates skipped',
  windowTable: 'Window table throttles and write retries',
  duration: 'Duration p99, % of timeout',
  sources: 'Source functions invocations and errors',
  ingestApi: 'Ingest API requests',
  fileDropFiles: 'File drop: files and rows',
  fileDropQueue: 'File drop queue: messages waiting, oldest, dead letters',
  collectorCounts: 'Collector: ticks and events produced',
  ingestCounts: 'Ingest API: requests by class, events accepted and rejected',
  transformRecords: 'Lake transform: records ok, dropped, failed',
  lakeFreshness: 'Lake freshness (Firehose DeliveryToS3.DataFreshness), s',
  lakeDelivery: 'Lake delivery, conversion and transform failures',
  failedBatches: 'Failed batches (on-failure bucket)',
  lakeSize: 'Lake size, GB (daily)',
} as const;

/** Titles of the widgets of the hosts `fleetMetricHosts` lists (only with a list). */
export const LISTED_HOSTS_TITLES = {
  cpu: 'Listed hosts CPU, % (fleetMetricHosts)',
  memory: 'Listed hosts memory, % (fleetMetricHosts)',
} as const;

/** A row of the dashboard: widgets side by side, 24 units wide in all. */
export type WidgetRow = cloudwatch.IWidget[];

/** What the widget rows are built from. */
export interface WidgetContext {
  props: ObservabilityProps;
  metrics: StageMetrics;
  /** A red line at an alarm's threshold, labelled with the alarm's name. */
  alarmLine: (what: string, label: string, value: number) => cloudwatch.HorizontalAnnotation;
}

/** The context of the stage's widgets. */
export function widgetContext(props: ObservabilityProps, metrics: StageMetrics): WidgetContext {
  return {
    props,
    metrics,
    alarmLine: (what, label, value) => ({
      value,
      label: `${label} (alarm pulse-${props.stage}-${what})`,
      color: cloudwatch.Color.RED,
    }),
  };
}

/** A graph half the dashboard wide (unless `props` says otherwise), 6 units high. */
export const graph = (props: cloudwatch.GraphWidgetProps): cloudwatch.GraphWidget =>
  new cloudwatch.GraphWidget({ width: 12, height: 6, ...props });
