/**
 * The hot path in local mode: the real hot-path handler (window projection into the local
 * DynamoDB) behind a local event source mapping with the settings the CDK app gives it,
 * its tumbling window as the flush interval. It records each invocation's counters, and
 * each record's time from stream arrival to visible window, in the run's meter.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createKinesisBatchHandler } from '#handlers/lib/kinesis-batch.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import type { LambdaKinesisEvent, LambdaKinesisWindowEvent } from '#core/lambda/events.js';
import { kinesisParentsOf } from '#core/projections/lineage.js';
import { HeldRecords } from '#core/projections/visibility.js';
import { WindowProjection } from '#core/projections/window-projection.js';
import type { WindowingConfig } from '#core/windows/config.js';
import { KinesisEventSourceMapping } from './event-source-mapping.js';
import { S3FailureDestination } from './failure-destination.js';
import type { RunMeter } from './run-meter.js';
import type { LocalClients, LocalNames } from './servers.js';

/** What the hot path runs against. */
export interface HotPathRunnerOptions {
  clients: LocalClients;
  names: LocalNames;
  registry: SchemaRegistry;
  config: WindowingConfig;
  /** The mapping's tumbling window: seconds the hot path holds window state before writing it. */
  flushIntervalSeconds: number;
  meter: RunMeter;
}

/** EMF goes to CloudWatch in AWS; locally it would bury the terminal, so it is switched off. */
function quietMetrics(): Metrics {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return new Metrics({ namespace: 'Pulse', serviceName: 'hot-path' });
  } finally {
    if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = previous;
  }
}

/** The hot path's mapping (not yet running: see {@link KinesisEventSourceMapping.run}). */
export function createHotPathRunner(o: HotPathRunnerOptions): KinesisEventSourceMapping {
  const { kinesis, ddb, s3 } = o.clients;
  const { names, meter } = o;
  const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${names.stream}`;
  // When each host's window item was last stored (partition key = host: one shard writes it).
  const hostWrittenAt = new Map<string, number>();
  // Whether an invocation wrote held windows, by its event (set by the handler's onBatch).
  const flushedBy = new WeakMap<object, boolean>();
  // Records folded into held window state, by shard: visible at a later flush.
  const held = new HeldRecords<{ host: string; at: number }>();
  const projection = new WindowProjection({
    ddb,
    tableName: names.windowTable,
    registry: o.registry,
    config: o.config,
    writeConcurrency: 32,
    parentsOf: kinesisParentsOf(kinesis, names.stream),
    // A host's events are visible when its window item is stored (a flush writes hundreds).
    onWritten: (key) => {
      if (key.kind === 'host') hostWrittenAt.set(key.name, Date.now());
    },
  });
  const handler = createKinesisBatchHandler({
    projection,
    logger: new Logger({ serviceName: 'hot-path', logLevel: 'WARN' }),
    metrics: quietMetrics(),
    onBatch: (c, event) => {
      meter.recordBatch(c);
      flushedBy.set(event, c.flushed);
    },
  });
  return new KinesisEventSourceMapping({
    kinesis,
    streamName: names.stream,
    batchSize: 1_000,
    maxBatchingWindowMs: 200,
    pollIntervalMs: 100,
    tumblingWindowSeconds: o.flushIntervalSeconds,
    onFailure: new S3FailureDestination(s3, names.lakeBucket, 'hot-path', streamArn),
    fn: async (event: LambdaKinesisEvent | LambdaKinesisWindowEvent) => {
      const t0 = performance.now();
      const startedAt = Date.now();
      const out = await handler(event);
      meter.timing.hotPathMs += performance.now() - t0;
      const failed = out.batchItemFailures[0]?.itemIdentifier;
      const cut = failed === undefined ? -1 : event.Records.findIndex((r) => r.kinesis.sequenceNumber === failed);
      const done = cut < 0 ? event.Records : event.Records.slice(0, cut);
      const shardId = 'shardId' in event ? event.shardId : (event.Records[0]?.eventID.split(':')[0] ?? '');
      // A record is visible once its host's item is stored in this invocation (else, for
      // records of other keys, when the invocation returns).
      const now = Date.now();
      const arrivals = done.map((r) => ({
        host: r.kinesis.partitionKey,
        at: r.kinesis.approximateArrivalTimestamp * 1000,
      }));
      const stillHeld = out.state !== undefined && Object.keys(out.state).length > 0;
      for (const r of held.settle(shardId, arrivals, flushedBy.get(event) === true, stillHeld)) {
        const written = hostWrittenAt.get(r.host);
        meter.recordLatency((written !== undefined && written >= startedAt ? written : now) - r.at);
      }
      return out;
    },
  });
}
