/**
 * The dashboard rows of the sources: their functions' invocations and errors, the ingest
 * API's requests, the file drop's files, rows and queue, and the functions' own counts
 * (handlers/lib/sources.ts, lake-transform.ts), which have no alarms.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { EVENT_TYPES } from '#core/contract/events.js';
import { LAKE_TABLES } from '#core/lake/columns.js';
import {
  COLLECTOR_EMF,
  FILE_DROP_EMF,
  INGEST_EMF,
  LAKE_TRANSFORM_EMF,
  LAKE_TRANSFORM_SERVICE,
  SOURCE_SERVICES,
} from '#core/metrics/names.js';
import { FIVE_MINUTES, ONE_HOUR } from './metrics.js';
import { graph, WIDGET_TITLES as W, type WidgetContext, type WidgetRow } from './widgets.js';

/** The sources' rows: functions and the ingest API; the file drop; the functions' own counts. */
export function sourceRows({ props, metrics: m, alarmLine }: WidgetContext): WidgetRow[] {
  const { sources, lake, settings } = props;
  const stage = sources.api.deploymentStage;
  const E = FILE_DROP_EMF;
  const count = (service: string, fn: lambda.IFunction, metric: string, label: string) =>
    m.count(service, fn, metric, FIVE_MINUTES, label);
  const collector = (metric: string, label: string) =>
    count(SOURCE_SERVICES.collector, sources.collector, metric, label);
  const ingest = (metric: string, label: string) => count(SOURCE_SERVICES.ingest, sources.ingest, metric, label);
  const third = (p: cloudwatch.GraphWidgetProps) => graph({ width: 8, ...p });
  return [
    [
      graph({
        title: W.sources,
        left: m.functions.sources.flatMap(({ name, fn }) => [
          fn.metricInvocations({ statistic: 'Sum', period: FIVE_MINUTES, label: `${name} invocations` }),
          fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label: `${name} errors` }),
        ]),
      }),
      graph({
        title: W.ingestApi,
        left: [
          stage.metricCount({ statistic: 'Sum', period: FIVE_MINUTES, label: 'requests' }),
          stage.metricClientError({ statistic: 'Sum', period: FIVE_MINUTES, label: '4XX (429: throttled)' }),
          stage.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES, label: '5XX' }),
        ],
        right: [stage.metricLatency({ statistic: 'p99', period: FIVE_MINUTES, label: 'latency p99, ms' })],
      }),
    ],
    [
      graph({
        title: W.fileDropFiles,
        left: [
          m.fileDrop(E.processed, FIVE_MINUTES, 'files processed'),
          m.fileDrop(E.failed, FIVE_MINUTES, 'files failed (moved to failed/ whole)'),
        ],
        right: [
          m.fileDrop(E.accepted, ONE_HOUR, 'rows accepted (hour)'),
          m.rejectedRows.with({ label: 'rows rejected (hour)' }),
        ],
        rightAnnotations: [alarmLine('file-drop-rows-rejected', 'rejected', settings.rejectedRowsAlarmPerHour)],
      }),
      graph({
        title: W.fileDropQueue,
        left: [
          sources.fileDropQueue.metricApproximateNumberOfMessagesVisible({
            statistic: 'Maximum',
            period: FIVE_MINUTES,
            label: 'notifications waiting',
          }),
          m.fileDropDeadLetters.with({ label: 'dead letters' }),
        ],
        right: [
          sources.fileDropQueue.metricApproximateAgeOfOldestMessage({
            statistic: 'Maximum',
            period: FIVE_MINUTES,
            label: 'oldest notification, s',
          }),
        ],
        leftAnnotations: [alarmLine('file-drop-dead-letters', 'dead letters', 0)],
      }),
    ],
    [
      third({
        title: W.collectorCounts,
        left: [collector(COLLECTOR_EMF.ticks, 'ticks collected')],
        right: [collector(COLLECTOR_EMF.eventsProduced, 'events produced')],
      }),
      third({
        title: W.ingestCounts,
        left: [
          ingest(INGEST_EMF.ok, 'requests 2xx'),
          ingest(INGEST_EMF.clientError, 'requests 4xx'),
          ingest(INGEST_EMF.serverError, 'requests 5xx'),
        ],
        right: [
          ingest(INGEST_EMF.eventsAccepted, 'events accepted'),
          ingest(INGEST_EMF.eventsRejected, 'events rejected'),
        ],
      }),
      third({
        title: W.transformRecords,
        left: EVENT_TYPES.flatMap((type) => {
          const fn = lake.transforms.get(type);
          const table = LAKE_TABLES[type];
          const T = LAKE_TRANSFORM_EMF;
          return fn
            ? [
                count(LAKE_TRANSFORM_SERVICE, fn, T.ok, `${table} ok`),
                count(LAKE_TRANSFORM_SERVICE, fn, T.dropped, `${table} dropped (other type)`),
                count(LAKE_TRANSFORM_SERVICE, fn, T.processingFailed, `${table} failed (to errors/)`),
              ]
            : [];
        }),
      }),
    ],
  ];
}
