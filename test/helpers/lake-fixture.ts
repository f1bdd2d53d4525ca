/**
 * A fixture lake: the synthetic fleet over 30 hours of event time, logs, a few
 * records delivered twice (Firehose is at least once) and poison records, written
 * by the real local delivery module into a local S3.
 */
import type { GetRecordsRecord } from '../../core/contract/consumer.js';
import { eventId, type EventType, type LogEvent, type MetricSample } from '../../core/contract/events.js';
import { AggregateBuilder } from '../../core/contract/kpl.js';
import type { SchemaRegistry } from '../../core/contract/registry.js';
import { SingleObjectEncoder } from '../../core/contract/single-object.js';
import { SyntheticFleet } from '../../core/sources/synthetic-fleet.js';

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

/** Builds the fixture's Kinesis records (aggregates of 1–20 events, arrival 1–4 s after the last). */
export function lakeFixture(registry: SchemaRegistry, start = Date.UTC(2026, 10, 20, 20, 0)): LakeFixture {
  const fleet = new SyntheticFleet({ hosts: 3, seed: 7 });
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
  for (let tick = 0; tick < 180; tick++) {
    const at = new Date(start + tick * 600_000); // every 10 minutes for 30 hours
    last = at.getTime();
    const { metrics, logs } = fleet.tick(at);
    for (const m of metrics) {
      seq++;
      const e: MetricSample = { event_id: eventId('fixture', seq), producer_id: 'fixture', producer_seq: seq, ...m };
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
