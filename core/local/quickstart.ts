/**
 * What `npm start` runs until the hot path and the lake land: a local Kinesis
 * server, the synthetic fleet through the real producer, then every shard read
 * back and decoded with the consumer API, with counts that must match.
 */
import { createKinesisClient } from '../clients/kinesis.js';
import { StreamDecoder } from '../contract/consumer.js';
import type { SchemaRegistry } from '../contract/registry.js';
import { Producer } from '../produce/producer.js';
import { resourceNames } from '../resources.js';
import { SyntheticFleet } from '../sources/synthetic-fleet.js';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { _Record } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { createS3Client } from '../clients/s3.js';
import { EVENT_TYPES } from '../contract/events.js';
import { lakeColumns } from '../lake/columns.js';
import { LakeQuery, syncLake } from '../lake/lake-query.js';
import { LocalDelivery } from '../lake/local-delivery.js';
import { LakeTransform } from '../lake/transform.js';
import { ensureBucket, startS3Server } from './s3-server.js';
import type { LocalServer } from './kinesis-server.js';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createKinesisBatchHandler } from '../../handlers/lib/kinesis-batch.js';
import { createDynamoClient } from '../clients/dynamodb.js';
import { WindowProjection } from '../projections/window-projection.js';
import { SideOutputStore } from '../projections/side-outputs.js';
import { WindowReader } from '../projections/window-reader.js';
import { windowingConfig } from '../windows/config.js';
import { type LocalDynamo, startDynamoServer } from './dynamodb-server.js';
import { KinesisEventSourceMapping, MemoryDestination } from './event-source-mapping.js';
import { startKinesisServer } from './kinesis-server.js';
import { ensureWindowTable } from './tables.js';

/** EMF goes to CloudWatch in AWS; on a terminal it would bury the summary, so local runs do not print it. */
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
import { createStream, listShards, readShard } from './streams.js';

/** Options of {@link runQuickstart}. */
export interface QuickstartOptions {
  registry: SchemaRegistry;
  /** Events to produce, at least (whole ticks are produced). */
  events: number;
  hosts: number;
  shards: number;
  /** Kinesis port (0: any free port). */
  port?: number;
  /** Where the local S3 and the lake cache live (default `.data`). */
  dataDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/**
 * The counts `npm start` prints. `consumed` must equal `produced`; poison, duplicates and
 * out-of-order must be 0; and `produced = windowed + late + quarantined` (finest windows).
 */
export interface QuickstartSummary {
  /** Events counted in the finest (1-minute) windows by the hot path. */
  windowed: number;
  late: number;
  quarantined: number;
  /** Window items written (finest size). */
  windows: number;
  /** Distinct event identities of this run in the lake (silver tables). */
  parquet_rows: number;
  parquet_files: number;
  dynamodb: 'dynamodb-local' | 'dynalite';
  produced: number;
  consumed: number;
  metric_samples: number;
  log_events: number;
  hosts: number;
  kinesis_records: number;
  put_records_calls: number;
  poison: number;
  duplicates: number;
  out_of_order: number;
  events_per_s: number;
}

/** Runs the quickstart and returns its summary; the local server is always stopped. */
export async function runQuickstart(o: QuickstartOptions): Promise<QuickstartSummary> {
  const log = o.log ?? (() => {});
  const server = await startKinesisServer({ port: o.port ?? 0 });
  const kinesis = createKinesisClient({ endpoint: server.endpoint });
  let dynamo: LocalDynamo | undefined;
  let ddb: DynamoDBClient | undefined;
  let s3Server: LocalServer | undefined;
  let s3: S3Client | undefined;
  let duck: DuckDBInstance | undefined;
  try {
    const streamName = resourceNames('local').stream;
    await createStream(kinesis, streamName, o.shards);
    log(`kinesis  ${server.endpoint}  stream ${streamName} (${o.shards} shards)`);
    const producer = await Producer.create({ kinesis, streamName, registry: o.registry });
    const fleet = new SyntheticFleet({ hosts: o.hosts });
    const started = Date.now();
    const t0 = Math.floor(started / 60_000) * 60_000;
    for (let tick = 0; producer.stats().eventsPut < o.events; tick++) {
      const { metrics, logs } = fleet.tick(new Date(t0 + tick * 1_000));
      for (const m of metrics) await producer.put('MetricSample', m);
      for (const l of logs) await producer.put('LogEvent', l);
    }
    await producer.close();
    const stats = producer.stats();
    const seconds = (Date.now() - started) / 1000;
    log(
      `produced ${stats.eventsAccepted} events in ${stats.recordsAccepted} Kinesis records (${stats.requests} PutRecords calls)`,
    );

    const decoder = new StreamDecoder(o.registry);
    const seen = new Set<string>();
    const lastSeq = new Map<string, number>();
    const summary: QuickstartSummary = {
      produced: stats.eventsAccepted,
      consumed: 0,
      metric_samples: 0,
      log_events: 0,
      hosts: 0,
      kinesis_records: 0,
      put_records_calls: stats.requests,
      poison: 0,
      duplicates: 0,
      out_of_order: 0,
      windowed: 0,
      late: 0,
      quarantined: 0,
      windows: 0,
      parquet_rows: 0,
      parquet_files: 0,
      dynamodb: 'dynalite',
      events_per_s: Math.round(stats.eventsAccepted / Math.max(seconds, 0.001)),
    };
    const hosts = new Set<string>();
    const allRecords: _Record[] = [];
    for (const shard of await listShards(kinesis, streamName)) {
      const records = await readShard(kinesis, streamName, shard.ShardId as string);
      allRecords.push(...records);
      summary.kinesis_records += records.length;
      for (const r of records) {
        const { events, poison } = decoder.decode(r);
        summary.poison += poison.length;
        for (const e of events) {
          summary.consumed++;
          if (e.type === 'MetricSample') summary.metric_samples++;
          else summary.log_events++;
          hosts.add(e.event.host);
          if (seen.has(e.event.event_id)) summary.duplicates++;
          seen.add(e.event.event_id);
          if (e.event.producer_seq <= (lastSeq.get(e.event.host) ?? 0)) summary.out_of_order++;
          lastSeq.set(e.event.host, e.event.producer_seq);
        }
      }
      log(`consumed ${shard.ShardId}: ${records.length} records`);
    }
    summary.hosts = hosts.size;

    // The hot path: the real handler behind a local event source mapping, into a local DynamoDB.
    dynamo = await startDynamoServer();
    ddb = createDynamoClient({ endpoint: dynamo.endpoint });
    summary.dynamodb = dynamo.kind;
    const tableName = resourceNames('local').windowTable;
    await ensureWindowTable(ddb, tableName);
    log(
      `dynamodb ${dynamo.endpoint} (${dynamo.kind === 'dynamodb-local' ? 'DynamoDB Local' : 'dynalite: no Java 17 found'})  table ${tableName}`,
    );
    const config = windowingConfig();
    const projection = new WindowProjection({ ddb, tableName, registry: o.registry, config });
    const handler = createKinesisBatchHandler({
      projection,
      logger: new Logger({ serviceName: 'hot-path', logLevel: 'WARN' }),
      metrics: quietMetrics(),
    });
    const mapping = new KinesisEventSourceMapping({
      kinesis,
      streamName,
      fn: handler,
      onFailure: new MemoryDestination(),
      batchSize: 100,
    });
    await mapping.drain();
    const finest = config.windowSizesMs[0] as number;
    const totals = await new WindowReader(ddb, tableName, config).countWindowed(finest);
    // Side outputs are keyed by stream position: counting them is exact, whatever was redelivered.
    const sideOutputs = new SideOutputStore(ddb, tableName, config.ttlDays);
    let late = 0;
    let quarantined = 0;
    for (const shard of await listShards(kinesis, streamName)) {
      late += (await sideOutputs.late(shard.ShardId as string, finest)).length;
      quarantined += (await sideOutputs.quarantined(shard.ShardId as string)).length;
    }
    summary.windowed = totals.events;
    summary.windows = totals.windows;
    summary.late = late;
    summary.quarantined = quarantined;
    log(
      `hot path: ${mapping.stats.invocations} invocations; ${totals.events} events in ${totals.windows} one-minute windows; late ${late}, quarantined ${quarantined}`,
    );

    // The cold path: local delivery streams (the Firehose transform, Parquet) into a local S3.
    const dataDir = o.dataDir ?? '.data';
    s3Server = await startS3Server({ directory: join(dataDir, 's3') });
    s3 = createS3Client({ endpoint: s3Server.endpoint });
    const bucket = resourceNames('local').lakeBucket;
    await ensureBucket(s3, bucket);
    duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    for (const type of EVENT_TYPES) {
      const transform = new LakeTransform(o.registry, type);
      const delivery = new LocalDelivery({
        s3,
        bucket,
        eventType: type,
        columns: lakeColumns(o.registry, type),
        transform: async (event) => ({ records: transform.transform(event.records) }),
        duck: connection,
      });
      await delivery.put(allRecords);
      await delivery.flush();
      summary.parquet_files += delivery.stats.parquetFiles;
    }
    connection.closeSync();
    const lakeDir = join(dataDir, 'lake');
    await syncLake(s3, bucket, lakeDir);
    const lake = await LakeQuery.open(o.registry, lakeDir);
    try {
      const id = producer.producerId.replaceAll("'", "''");
      const rows = await lake.query(
        `SELECT (SELECT count(*) FROM silver_metric_samples WHERE producer_id = '${id}') + (SELECT count(*) FROM silver_log_events WHERE producer_id = '${id}') AS n`,
      );
      summary.parquet_rows = Number(rows[0]?.n ?? 0);
    } finally {
      lake.close();
    }
    log(
      `lake: ${summary.parquet_files} Parquet files in ${s3Server.endpoint}/${bucket}; ${summary.parquet_rows} events of this run`,
    );
    return summary;
  } finally {
    kinesis.destroy();
    ddb?.destroy();
    s3?.destroy();
    duck?.closeSync();
    await dynamo?.stop();
    await s3Server?.stop();
    await server.stop();
  }
}
