/**
 * The CloudWatch dashboard `pulse-<stage>-<region>`: a header pointing to the runbook, the
 * status of every alarm, the SLO row, then the fleet, hot path, sources and lake rows.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { RUNBOOK } from './alarms.js';
import { fleetRows, hostVariable } from './fleet-widgets.js';
import { hotPathRows, lakeRows } from './pipeline-widgets.js';
import { sourceRows } from './source-widgets.js';
import type { WidgetContext, WidgetRow } from './widgets.js';

/** What the dashboard shows beside its rows of metrics. */
export interface StageDashboardProps {
  /** The alarms in the status widget, in their order. */
  alarms: cloudwatch.IAlarm[];
  /** The SLO row (./slo.ts). */
  sloWidgets: cloudwatch.IWidget[];
}

/** Makes the stage's dashboard in `scope` (construct id `Dashboard`). */
export function stageDashboard(
  scope: Construct,
  context: WidgetContext,
  { alarms, sloWidgets }: StageDashboardProps,
): cloudwatch.Dashboard {
  const { stage, settings } = context.props;
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: `pulse-${stage}-${Aws.REGION}`, // dashboards are global to the account
    defaultInterval: Duration.hours(3),
    ...(settings.fleetMetrics ? { variables: [hostVariable()] } : {}),
  });
  const rows: WidgetRow[] = [
    [
      new cloudwatch.TextWidget({
        markdown:
          `# Pulse ${stage}\n` +
          `Alarms notify the SNS topic pulse-${stage}-alarms. What each alarm means and what to do: ${RUNBOOK} in the Pulse repository.`,
        width: 24,
        height: 2,
      }),
    ],
    [
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms,
        width: 24,
        height: 4,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    ],
    sloWidgets,
    ...fleetRows(context),
    ...hotPathRows(context),
    ...sourceRows(context),
    ...lakeRows(context),
  ];
  for (const row of rows) dashboard.addWidgets(...row);
  return dashboard;
}
