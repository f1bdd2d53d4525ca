/** Figures with round numbers, for cost-model tests whose expected values are computed by hand. */
import type { Measured, SeedFigures, ShapeFigures } from '#core/cost/reference.js';

/**
 * A fleet of 1,200 hosts × 5 metrics every 60 s (100 events/s), measured on 1 shard:
 * 1,000-byte records of 5 events, 0.02 write units per event, 50 ms of CPU per 1,000 events.
 */
export const ROUND_FIGURES: Readonly<ShapeFigures> = Object.freeze({
  name: 'R',
  hosts: 1_200,
  metrics: 5,
  interval_s: 60,
  shards: 1,
  write_units_per_event: 0.02,
  checkpoint_write_units_per_event: 0.001,
  read_units_per_event: 0.001,
  writes_per_event: 0.02,
  hot_path_ms_per_1000: 50,
  max_state_bytes: 100_000,
  emf_bytes_per_invocation: 1_000,
  log_bytes_per_invocation: 300,
  custom_metrics: 10,
  events_per_record: 5,
  stream_bytes_per_event: 200,
  record_bytes: 1_000,
  event_bytes: 180,
  finest_window_item_bytes: 400,
  parquet_bytes_per_event: 10,
  ndjson_bytes_per_event: 400,
  gold_scan_bytes_per_event: 2,
  transform_ms_per_1000: 20,
  drop_ms_per_1000: 2,
  p95_visible_ms: 60_000,
});

/** The seed design's Lambda at 80 ms of CPU per 1,000 samples, 100-byte items, 200 bytes of JSON a sample. */
export const ROUND_SEED: Readonly<SeedFigures> = Object.freeze({
  cpu_ms_per_1000_samples: 80,
  item_bytes: 100,
  json_bytes_per_sample: 200,
});

/** Measured shapes for the nearest-shape tests: bench:fleet's A–D layouts with the round figures. */
export const FLEET_SHAPES: readonly ShapeFigures[] = [
  { ...ROUND_FIGURES, name: 'A', hosts: 10, metrics: 5, interval_s: 300 },
  { ...ROUND_FIGURES, name: 'B', hosts: 1_000, metrics: 5, interval_s: 10 },
  {
    ...ROUND_FIGURES,
    name: 'C',
    hosts: 10_000,
    metrics: 20,
    interval_s: 10,
    record_bytes: 4_000,
    events_per_record: 20,
  },
  { ...ROUND_FIGURES, name: 'D', hosts: 10, metrics: 5, interval_s: 0.05 },
];

/** A local run's measured.json: 100 events per record, 200 B each, 50 writes per 1,000 events of 0.5 KB, 15 B of Parquet. */
export const ROUND_MEASURED: Measured = {
  source: 'a run of this test',
  eventsPerRecord: 100,
  streamBytesPerEvent: 200,
  windowWritesPerEvent: 0.05,
  windowItemKb: 0.5,
  parquetBytesPerEvent: 15,
  hotPathMsPer1000: 100,
  transformMsPer1000: 20,
};
