/**
 * The live counters of a running local pipeline, for `pulse start`'s progress lines and
 * the dashboard's /api/health: read from the parts as they run, nothing stored.
 */
import type { Producer } from '#core/produce/producer.js';
import type { KinesisEventSourceMapping } from './event-source-mapping.js';
import type { LakeRunner } from './lake-runner.js';
import type { RunMeter } from './run-meter.js';
import type { LocalSources, SourceCounts } from './sources.js';

/** Live counters for progress lines and the dashboard. */
export interface PipelineHealth {
  produced: number;
  hotPathRecords: number;
  hotPathInvocations: number;
  deliveredRecords: number;
  parquetFiles: number;
  parquetRows: number;
  discardedRecords: number;
  p95LatencyMs: number;
  eventsPerS: number;
  windowsWritten: number;
  late: number;
  quarantined: number;
  /**
   * Now minus the latest event time the hot path applied: event-time lag, not
   * freshness (the history backfill replays events up to 30 minutes old).
   */
  lagMs: number;
  /** Stream arrival to visible window, 95th percentile of the latest 10,000 records (ms). */
  freshnessP95Ms: number;
  /** Events produced in this run that the hot path has not read yet. */
  backlogEvents: number;
  /** Events each source put on the stream in this run (`fleet`: the synthetic fleet's history and live events). */
  sources: SourceCounts & { fleet: number };
  /** The SLIs measurable while running (data loss is measured when the run stops: null until then). */
  sli: {
    ingestAvailability: number | null;
    ingestP95Ms: number | null;
    dataLossRatio: number | null;
    freshnessP95Ms: number | null;
  };
}

/** The running parts the counters are read from. */
export interface RunningParts {
  meter: RunMeter;
  producer: Producer;
  sources: LocalSources | undefined;
  hotPath: KinesisEventSourceMapping;
  lake: LakeRunner;
}

/** The live counters now (see {@link PipelineHealth}). */
export function pipelineHealth(parts: RunningParts): PipelineHealth {
  const { meter, hotPath, lake, sources } = parts;
  // The live view uses the latest 10,000 latencies: sorting all of them every two seconds
  // would stall the event loop the pipeline itself runs on.
  const freshness = meter.recentP95();
  const { parquetFiles, parquetRows } = lake.written();
  const produced = parts.producer.stats().eventsAccepted + (sources?.total() ?? 0);
  const ingest = sources?.ingestStats();
  const c = sources?.counts ?? { collector: 0, agent: 0, ingest_api: 0, file_drop: 0, otlp: 0 };
  // The agent counts itself until it stops: its share of total() is what the others are not.
  const agent = (sources?.total() ?? 0) - c.collector - c.ingest_api - c.file_drop - c.otlp;
  return {
    produced,
    sources: { ...c, agent, fleet: parts.producer.stats().eventsAccepted },
    freshnessP95Ms: freshness ?? 0,
    backlogEvents: Math.max(0, produced - meter.eventsIn),
    sli: {
      ingestAvailability: ingest && ingest.requests > 0 ? 1 - ingest.serverErrors / ingest.requests : null,
      ingestP95Ms: ingest?.p95Ms ?? null,
      dataLossRatio: null,
      freshnessP95Ms: freshness,
    },
    hotPathRecords: hotPath.stats.recordsDelivered,
    hotPathInvocations: hotPath.stats.invocations,
    deliveredRecords: lake.mapping.stats.recordsDelivered,
    parquetFiles,
    parquetRows,
    discardedRecords: hotPath.stats.discardedRecords + lake.mapping.stats.discardedRecords,
    p95LatencyMs: freshness ?? 0,
    eventsPerS: Math.round(produced / Math.max(0.001, (Date.now() - meter.startedAt) / 1000)),
    ...meter.hot,
  };
}
