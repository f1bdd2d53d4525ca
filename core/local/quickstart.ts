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
import { startKinesisServer } from './kinesis-server.js';
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
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** The counts `npm start` prints; `produced` must equal `consumed`, and the rest must be 0. */
export interface QuickstartSummary {
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
      events_per_s: Math.round(stats.eventsAccepted / Math.max(seconds, 0.001)),
    };
    const hosts = new Set<string>();
    for (const shard of await listShards(kinesis, streamName)) {
      const records = await readShard(kinesis, streamName, shard.ShardId as string);
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
    return summary;
  } finally {
    kinesis.destroy();
    await server.stop();
  }
}
