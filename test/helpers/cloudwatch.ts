/** Template assertions on the alarms and the dashboard of the Pulse stack (test/infra). */
import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';

/** A Ref to exactly one generated logical id with this prefix. */
export const ref = (prefix: string) => ({ Ref: Match.stringLikeRegexp(`^${prefix}[0-9A-F]{8}$`) });

/** Logical id prefixes of the resources the alarms and widgets name. */
export const ids = {
  hotPath: 'HotPathFunction',
  hotPathLogs: 'HotPathFunctionLogs',
  collector: 'SourcesCollector',
  ingest: 'SourcesIngest',
  fileDrop: 'SourcesFileDrop',
  otlp: 'SourcesOtlpFunction',
  metricTransform: 'LakeMetricSampleTransform',
  logTransform: 'LakeLogEventTransform',
  stream: 'EventsStream',
  table: 'WindowsTable',
  failureBucket: 'HotPathFailureBucket',
  lakeBucket: 'LakeBucket',
  metricDelivery: 'LakeMetricSampleDelivery',
  logDelivery: 'LakeLogEventDelivery',
  topic: 'ObservabilityAlarmTopic',
} as const;

const topic = ref(ids.topic);

/** The dimensions of an EMF metric of the function `id` published as `service`. */
export const emfDimensionsOf = (id: string, service: string) => [
  { Name: 'function_name', Value: ref(id) },
  { Name: 'service', Value: service },
];

/** Asserts the alarm `pulse-dev-<what>`: its own properties, actions to the topic, and its runbook anchor. */
export function expectAlarm(t: Template, what: string, anchor: string, props: Record<string, unknown>): void {
  t.hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmName: `pulse-dev-${what}`,
    AlarmDescription: Match.stringLikeRegexp(`Runbook: docs/runbook\\.md#${anchor}$`),
    AlarmActions: [topic],
    OKActions: [topic],
    ActionsEnabled: true,
    ...props,
  });
}

/** A MetricStat entry of a math alarm. */
export function stat(
  id: string,
  namespace: string,
  metricName: string,
  dimensions: unknown[],
  s: string,
  period = 300,
) {
  return Match.objectLike({
    Id: id,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions },
      Period: period,
      Stat: s,
    },
    ReturnData: false,
  });
}

/** An expression entry of a math alarm. */
export const expression = (id: string, text: string) =>
  Match.objectLike({ Id: id, Expression: text, ReturnData: false });

/** The dashboard body: its Fn::Join parts (strings and tokens). */
export function dashboardParts(t: Template): unknown[] {
  const dashboards = Object.values(t.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as { Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } } }).Properties
    .DashboardBody;
  return body['Fn::Join'][1];
}

/** The dashboard body's literal text (tokens left out). */
export const dashboardText = (t: Template) =>
  dashboardParts(t)
    .filter((p): p is string => typeof p === 'string')
    .join('');

/** The widgets of a dashboard body with the tokens blanked (titles, types, metrics, queries). */
export function dashboardWidgets(t: Template): { type: string; properties: Record<string, unknown> }[] {
  const parts = dashboardParts(t).map((p) => (typeof p === 'string' ? p : ''));
  return (JSON.parse(parts.join('')) as { widgets: { type: string; properties: Record<string, unknown> }[] }).widgets;
}

/** Slugs of the runbook's headings, as GitHub makes anchors. */
export function runbookAnchors(): Set<string> {
  const text = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
  return new Set(
    [...text.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
      (m[1] as string)
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replaceAll(' ', '-'),
    ),
  );
}
