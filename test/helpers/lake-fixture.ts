/**
 * A fixture lake: the synthetic fleet over 30 hours of event time (or as many ticks
 * as asked), logs, a few records delivered twice (Firehose is at least once) and
 * poison records, written by the real local delivery module into a local S3.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { GetRecordsRecord } from '#core/contract/consumer.js';
import { eventId, type EventType, type LogEvent, type MetricSample } from '#core/contract/events.js';
import { AggregateBuilder } from '#core/contract/kpl.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { lakeColumns } from '#core/lake/columns.js';
import { type DeliveryStats, LocalDelivery } from '#core/lake/local-delivery.js';
import { LakeTransform } from '#core/lake/transform.js';
import { SyntheticFleet } from '#core/sources/synthetic-fleet.js';

/** What went into the fixture, for oracles. */
export interface LakeFixture {
  metrics: (MetricSample & { arrivedAt: number })[];
  logs: (LogEvent & { arrivedAt: number })[];
  records: GetRecordsRecord[];
  /** Records whose bytes are not events. */
  poison: number;
  /** Events delivered twice, by type. */
  duplicated: Record<EventType, number>;
}

/** The span and fleet of a fixture. */
export interface LakeFixtureOptions {
  /** Event time of the first tick (default 2026-11-30 20:00 UTC: 4 hours of November, then December). */
  start?: number;
  /** Ticks of the fleet (default 180). */
  ticks?: number;
  /** Event time between ticks (default 10 minutes). */
  tickMs?: number;
  /** Hosts of the fleet (default 3). */
  hosts?: number;
}

/** The host the fixture runs in staging, so queries by environment see two. */
export const STAGING_HOST = 'server-003';

/**
 * Builds the fixture's Kinesis records (aggregates of the events of 3 ticks, arrival
 * 1–4 s after the last). By default 180 ticks 10 minutes apart: 30 hours.
 */
export function lakeFixture(registry: SchemaRegistry, options: LakeFixtureOptions = {}): LakeFixture {
  const { start = Date.UTC(2026, 10, 30, 20, 0), ticks = 180, tickMs = 600_000, hosts = 3 } = options;
  const fleet = new SyntheticFleet({ hosts, seed: 7 });
  const encoder = new SingleObjectEncoder();
  const fixture: LakeFixture = {
    metrics: [],
    logs: [],
    records: [],
    poison: 0,
    duplicated: { MetricSample: 0, LogEvent: 0 },
  };
  let seq = 0;
  let builder = new AggregateBuilder();
  let pending: { type: EventType; index: number }[] = [];
  let last = start;
  const close = () => {
    if (builder.count === 0) return;
    const arrivedAt = last + 1_000 + (seq % 4) * 1_000;
    for (const p of pending) {
      const e = (p.type === 'MetricSample' ? fixture.metrics : fixture.logs)[p.index];
      if (e) e.arrivedAt = arrivedAt;
    }
    const record = {
      Data: builder.build(),
      PartitionKey: 'server-001',
      SequenceNumber: String(seq),
      ApproximateArrivalTimestamp: new Date(arrivedAt),
    };
    fixture.records.push(record);
    if (fixture.records.length % 17 === 0) {
      fixture.records.push(record); // delivered twice
      for (const p of pending) fixture.duplicated[p.type]++;
    }
    builder = new AggregateBuilder();
    pending = [];
  };
  for (let tick = 0; tick < ticks; tick++) {
    const at = new Date(start + tick * tickMs);
    last = at.getTime();
    const { metrics, logs } = fleet.tick(at);
    for (const m of metrics) {
      seq++;
      const e: MetricSample = {
        event_id: eventId('fixture', seq),
        producer_id: 'fixture',
        producer_seq: seq,
        ...m,
        environment: m.host === STAGING_HOST ? 'staging' : m.environment,
      };
      builder.add({ partitionKey: m.host, data: encoder.encode(registry.latest('MetricSample'), e) });
      pending.push({ type: 'MetricSample', index: fixture.metrics.push({ ...e, arrivedAt: 0 }) - 1 });
    }
    for (const l of logs) {
      seq++;
      const e: LogEvent = { event_id: eventId('fixture', seq), producer_id: 'fixture', producer_seq: seq, ...l };
      builder.add({ partitionKey: l.host, data: encoder.encode(registry.latest('LogEvent'), e) });
      pending.push({ type: 'LogEvent', index: fixture.logs.push({ ...e, arrivedAt: 0 }) - 1 });
    }
    if (tick % 3 === 2) close();
    if (tick % 50 === 0) {
      fixture.records.push({
        Data: Buffer.from(`poison ${tick}`),
        PartitionKey: 'server-002',
        SequenceNumber: `p${tick}`,
        ApproximateArrivalTimestamp: at,
      });
      fixture.poison++;
    }
  }
  close();
  return fixture;
}

/**
 * Writes the fixture's records into `bucket` with the real local delivery of each event
 * type (the Firehose transform, Parquet by DuckDB, `<table>/year=/month=/day=/hour=/`
 * keys), 25 records per put. @returns each type's delivery stats
 */
export async function deliverFixture(
  registry: SchemaRegistry,
  fixture: LakeFixture,
  s3: S3Client,
  bucket: string,
): Promise<Record<EventType, DeliveryStats>> {
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  const stats = {} as Record<EventType, DeliveryStats>;
  try {
    for (const type of ['MetricSample', 'LogEvent'] as const) {
      const transform = new LakeTransform(registry, type);
      const delivery = new LocalDelivery({
        s3,
        bucket,
        eventType: type,
        columns: lakeColumns(registry, type),
        transform: async (event) => ({ records: transform.transform(event.records) }),
        duck,
        bufferBytes: 64 * 1024,
      });
      for (let i = 0; i < fixture.records.length; i += 25)
        await delivery.put(fixture.records.slice(i, i + 25), 'shardId-000000000000');
      await delivery.flush();
      stats[type] = delivery.stats;
    }
  } finally {
    duck.closeSync();
    instance.closeSync();
  }
  return stats;
}
