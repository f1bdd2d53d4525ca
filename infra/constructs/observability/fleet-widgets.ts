/**
 * The fleet rows of the dashboard, at a cost that does not grow with the fleet
 * (handlers/lib/fleet-metrics.ts): the five standard metrics as distributions across hosts
 * (no host dimension: 5 custom metrics), drawn as p50, p95 and max; the top 10 hosts and
 * one host's series from the hot path's `fleet host` log lines (Logs Insights, the host
 * picked with a dashboard variable). Per-host custom metrics only for the hosts
 * `fleetMetricHosts` lists (at most 50), drawn with SEARCH: no other host has such a series.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { FLEET_HOST_LINE } from '#core/metrics/names.js';
import { ALARM_THRESHOLDS } from './alarms.js';
import { FIVE_MINUTES } from './metrics.js';
import { graph, LISTED_HOSTS_TITLES, WIDGET_TITLES as W, type WidgetContext, type WidgetRow } from './widgets.js';

/** The dashboard variable the one-host widget's query filters on (a pattern variable replaces it). */
export const HOST_VARIABLE_PATTERN = 'PULSE_HOST';

/** The dashboard variable that picks the host of the one-host widget. */
export function hostVariable(): cloudwatch.DashboardVariable {
  return new cloudwatch.DashboardVariable({
    id: 'host',
    type: cloudwatch.VariableType.PATTERN,
    inputType: cloudwatch.VariableInputType.INPUT,
    value: HOST_VARIABLE_PATTERN,
    label: 'Host',
  });
}

/** The fleet rows (see the module comment), or a note that fleet metrics are off. */
export function fleetRows({ props, metrics: m, alarmLine }: WidgetContext): WidgetRow[] {
  const { settings, hotPath, windows } = props;
  if (!settings.fleetMetrics) {
    return [
      [
        new cloudwatch.TextWidget({
          markdown: `Fleet metrics are off (setting fleetMetrics=false): no fleet widgets and no fleet CPU alarm. Per-host series are in the window table (${windows.table.tableName}).`,
          width: 24,
          height: 2,
        }),
      ],
    ];
  }
  const minute = Duration.minutes(1);
  const spread = (metric: string, period: Duration, stats = ['p50', 'p95', 'Maximum']) =>
    stats.map((stat) => m.fleetStat(metric, stat, period, `${metric} ${stat === 'Maximum' ? 'max' : stat}`));
  const percent = { min: 0, max: 100 };
  const cpuLine = (what: string, label: string) => alarmLine(what, label, ALARM_THRESHOLDS.fleetCpuPercent);
  // Log lines, not custom metrics: one `fleet host` line per host and minute (handlers/lib/fleet-metrics.ts).
  const logGroupNames = [hotPath.fn.logGroup.logGroupName];
  const hostLines = `filter message = "${FLEET_HOST_LINE}"`;
  const rows: WidgetRow[] = [
    [
      graph({
        title: W.fleetCpu,
        left: spread('cpu_utilization', minute),
        leftYAxis: percent,
        leftAnnotations: [cpuLine('fleet-cpu', 'p95')],
      }),
      graph({ title: W.fleetMemory, left: spread('memory_usage', minute), leftYAxis: percent }),
    ],
    [
      graph({ title: W.fleetDisk, left: spread('disk_usage', FIVE_MINUTES), start: '-PT24H', leftYAxis: percent }),
      graph({
        title: W.fleetNetwork,
        left: [
          ...spread('network_in', minute, ['p95', 'Maximum']),
          ...spread('network_out', minute, ['p95', 'Maximum']),
        ],
      }),
    ],
    [
      new cloudwatch.LogQueryWidget({
        title: W.fleetTopHosts,
        logGroupNames,
        queryLines: [
          'fields host, cpu_utilization, memory_usage',
          hostLines,
          'stats max(cpu_utilization) as cpu_max, avg(cpu_utilization) as cpu_avg, avg(memory_usage) as memory_avg by host',
          'sort cpu_max desc',
          'limit 10',
        ],
        width: 12,
        height: 6,
      }),
      new cloudwatch.LogQueryWidget({
        title: W.fleetHost,
        logGroupNames,
        queryLines: [
          'fields cpu_utilization, memory_usage, disk_usage',
          `${hostLines} and host = "${HOST_VARIABLE_PATTERN}"`,
          'stats avg(cpu_utilization) as cpu, avg(memory_usage) as memory, avg(disk_usage) as disk by bin(1m)',
        ],
        view: cloudwatch.LogQueryVisualizationType.LINE,
        width: 12,
        height: 6,
      }),
    ],
  ];
  if (settings.fleetMetricHosts.length > 0) {
    rows.push([
      graph({
        title: LISTED_HOSTS_TITLES.cpu,
        left: [m.fleetLines('cpu_utilization', minute)],
        start: '-PT1H',
        leftYAxis: percent,
        leftAnnotations: [cpuLine('listed-host-cpu', 'CPU')],
      }),
      graph({ title: LISTED_HOSTS_TITLES.memory, left: [m.fleetLines('memory_usage', minute)], leftYAxis: percent }),
    ]);
  }
  return rows;
}
