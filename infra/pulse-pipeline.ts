/**
 * `PulsePipeline`: the whole of Pulse as one L3 construct, for this repo's stack and
 * for other CDK apps that depend on Pulse instead of forking it. Props are the flat
 * {@link PulseSettings} (the same keys as this app's CDK context), validated with
 * exact messages; every one has a default (`infra/defaults.ts`).
 *
 * ```ts
 * import { PulsePipeline } from 'pulse/construct';
 * const pulse = new PulsePipeline(stack, 'Pulse', { stage: 'prod', streamMode: 'provisioned', shardCount: 4 });
 * pulse.sources.ingestMethod.grantExecute(myRole);
 * ```
 */
import { Construct } from 'constructs';
import { SchemaRegistry } from '#core/contract/registry.js';
import { resourceNames } from '#core/resources.js';
import { configOf, type PulseConfig, type PulseSettings } from './config.js';
import { Analytics } from './constructs/analytics.js';
import { StreamConsumers } from './constructs/consumers.js';
import { EventStream } from './constructs/event-stream.js';
import { HotPath } from './constructs/hot-path.js';
import { Lake } from './constructs/lake.js';
import { Observability } from './constructs/observability.js';
import { Sources } from './constructs/sources.js';
import { WindowTable } from './constructs/window-table.js';

/** Props of {@link PulsePipeline}: the settings, and optionally other schemas. */
export interface PulsePipelineProps extends PulseSettings {
  /** The schemas the lake tables are generated from (default: this package's schemas/). */
  registry?: SchemaRegistry;
}

/** Every resource of one Pulse stage: stream, hot path, lake, analytics, sources, observability. */
export class PulsePipeline extends Construct {
  /** The validated settings, defaults filled in. */
  readonly config: PulseConfig;
  readonly events: EventStream;
  readonly windows: WindowTable;
  readonly hotPath: HotPath;
  /** Enhanced fan-out consumers (hot path, external subscribers), when configured. */
  readonly consumers: StreamConsumers;
  readonly lake: Lake;
  readonly analytics: Analytics;
  readonly sources: Sources;
  /** Dashboard `pulse-<stage>`, alarms and their SNS topic. */
  readonly observability: Observability;

  /** @throws ConfigError naming the setting that is invalid */
  constructor(scope: Construct, id: string, props: PulsePipelineProps = {}) {
    super(scope, id);
    const { registry, ...settings } = props;
    const config = (this.config = configOf(settings));
    const names = resourceNames(config.stage);
    this.events = new EventStream(this, 'Events', {
      streamName: names.stream,
      streamMode: config.streamMode,
      shardCount: config.shardCount,
      retentionHours: config.retentionHours,
    });
    this.windows = new WindowTable(this, 'Windows', { tableName: names.windowTable });
    this.consumers = new StreamConsumers(this, 'Consumers', {
      stage: config.stage,
      stream: this.events.stream,
      key: this.events.key,
      settings: config.consumers,
    });
    this.hotPath = new HotPath(this, 'HotPath', {
      stream: this.events.stream,
      ...(this.consumers.hotPath ? { consumer: this.consumers.hotPath } : {}),
      windows: this.windows,
      settings: config.hotPath,
      windowing: config.windowing,
      fleet: config.observability,
    });
    this.lake = new Lake(this, 'Lake', {
      stream: this.events.stream,
      registry: registry ?? SchemaRegistry.load(),
      databaseName: names.glueDatabase,
      settings: config.lake,
      deliveryStreamName: names.deliveryStream,
    });
    this.analytics = new Analytics(this, 'Analytics', {
      stage: config.stage,
      databaseName: names.glueDatabase,
      lakeBucket: this.lake.bucket,
      settings: config.lake,
    });
    this.sources = new Sources(this, 'Sources', {
      stage: config.stage,
      stream: this.events.stream,
      idempotencyTableName: names.idempotencyTable,
      settings: config.sources,
    });
    this.observability = new Observability(this, 'Observability', {
      stage: config.stage,
      settings: config.observability,
      lakeBufferIntervalSeconds: config.lake.bufferIntervalSeconds,
      flushIntervalSeconds: config.hotPath.flushIntervalSeconds,
      events: this.events,
      windows: this.windows,
      hotPath: this.hotPath,
      lake: this.lake,
      sources: this.sources,
      analytics: this.analytics,
      hotPathFanOut: config.consumers.hotPathFanOut,
    });
  }
}
