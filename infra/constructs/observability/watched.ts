/** What the observability of one stage watches: the stage's constructs and its settings. */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { PulseConfig } from '#infra/config.js';
import type { Analytics } from '#infra/constructs/analytics.js';
import type { EventStream } from '#infra/constructs/event-stream.js';
import type { HotPath } from '#infra/constructs/hot-path.js';
import type { Lake } from '#infra/constructs/lake.js';
import type { Sources } from '#infra/constructs/sources.js';
import type { WindowTable } from '#infra/constructs/window-table.js';

/** Props of the `Observability` construct: the stage's constructs and settings. */
export interface ObservabilityProps {
  stage: string;
  settings: PulseConfig['observability'];
  /** The lake's Firehose buffer interval: the freshness alarm never fires below it. */
  lakeBufferIntervalSeconds: number;
  /** The hot path's flush interval (the time-to-visible SLO's bound is this plus a margin). */
  flushIntervalSeconds: number;
  events: EventStream;
  windows: WindowTable;
  hotPath: HotPath;
  lake: Lake;
  sources: Sources;
  analytics: Analytics;
  /** The hot path reads through its own enhanced fan-out consumer. */
  hotPathFanOut: boolean;
}

/** A function the dashboard and alarms watch, by its name in alarm names and labels. */
export interface WatchedFunction {
  name: string;
  fn: lambda.Function;
}

/** The functions with duration and error-rate alarms: the hot path, and the sources by name. */
export interface WatchedFunctions {
  hotPath: WatchedFunction;
  /** The source functions, in the order of their alarms and widget lines. */
  sources: WatchedFunction[];
  /** The hot path, then the sources. */
  all: WatchedFunction[];
}

/** The watched functions of `props`, each named explicitly (no position stands for a role). */
export function watchedFunctions({ hotPath, sources }: ObservabilityProps): WatchedFunctions {
  const hot = { name: 'hot-path', fn: hotPath.fn };
  const sourceFunctions = [
    { name: 'collector', fn: sources.collector },
    { name: 'ingest', fn: sources.ingest },
    { name: 'file-drop', fn: sources.fileDrop },
    { name: 'otlp', fn: sources.otlp.fn },
  ];
  return { hotPath: hot, sources: sourceFunctions, all: [hot, ...sourceFunctions] };
}
