/** The fleet shapes bench:fleet simulates, and the figures it reports for each. */

/** A fleet shape: `hosts` × `metrics` every `interval_s`, simulated for `seconds` on `shards` shards. */
export interface Shape {
  name: string;
  hosts: number;
  metrics: number;
  interval_s: number;
  seconds: number;
  shards: number;
  note: string;
}

/** A (seed 000), B, C and D; `--c-shards` changes C's shards. */
export const SHAPES: Shape[] = [
  {
    name: 'A',
    hosts: 10,
    metrics: 5,
    interval_s: 300,
    seconds: 7_200,
    shards: 1,
    note: 'seed 000: 10 hosts × 5 metrics every 5 minutes',
  },
  {
    name: 'B',
    hosts: 1_000,
    metrics: 5,
    interval_s: 10,
    seconds: 600,
    shards: 1,
    note: '1,000 hosts × 5 metrics every 10 s',
  },
  {
    name: 'C',
    hosts: 10_000,
    metrics: 20,
    interval_s: 10,
    seconds: 240,
    shards: 8,
    note: '10,000 hosts × 20 metrics every 10 s',
  },
  {
    name: 'D',
    hosts: 10,
    metrics: 5,
    interval_s: 0.05,
    seconds: 180,
    shards: 2,
    note: "today's dense fleet: 10 hosts × 5 metrics, 20 samples/s per series",
  },
];

/** What one flush mode of a shape costs, per event and per invocation. */
export interface ModeFigures {
  flush_interval_s: number;
  events: number;
  writes_per_event: number;
  write_units_per_event: number;
  checkpoint_write_units_per_event: number;
  read_units_per_event: number;
  p95_visible_ms: number;
  invocations: number;
  early_flushes: number;
  /** Batches cut short (a partial batch failure) to keep the state within the budget. */
  batches_cut: number;
  windows_terminated_early: number;
  max_state_bytes: number;
  hot_path_events_per_cpu_s: number;
  /** EMF documents the handler printed per invocation, and their bytes (CloudWatch Logs ingestion). */
  emf_documents_per_invocation: number;
  emf_bytes_per_invocation: number;
  /** Log lines (Powertools Logger, INFO) per invocation and their bytes; Lambda's own START/END/REPORT not included. */
  log_lines_per_invocation: number;
  log_bytes_per_invocation: number;
  /** Distinct custom metrics the EMF documents defined (fleet views on, no listed hosts). */
  custom_metrics: number;
}

/**
 * What the records the agents put weigh on the stream (the same for both flush modes):
 * one KPL aggregate per host per tick, as the producer makes it when a host's agent puts
 * all its metrics at once (partition key = host, 100 ms linger).
 */
export interface StreamFigures {
  records: number;
  events_per_record: number;
  /** Aggregated record data (KPL magic, protobuf, MD5) per event; partition keys not counted. */
  stream_bytes_per_event: number;
  /** Mean data bytes of one aggregated record. */
  record_bytes: number;
  /** Mean bytes of one single-object event (what Firehose hands the transform after de-aggregation). */
  event_bytes: number;
  /** Kinesis provisioned PUT payload units (25 KB each, per record) per event. */
  put_payload_units_per_event: number;
  /** Firehose 5 KB ingestion increments per event if billed per aggregated record. */
  firehose_5kb_units_per_event_aggregated: number;
  /** Firehose 5 KB ingestion increments per event if billed per de-aggregated event. */
  firehose_5kb_units_per_event_deaggregated: number;
}

/** What the window table holds after a run with held state: what its storage bills. */
export interface StoredFigures {
  /** Host items of the finest window size (one per host and minute with a sample). */
  finest_window_items: number;
  /** Their mean size by DynamoDB's rules (without its 100 bytes of per-item overhead). */
  finest_window_item_bytes: number;
  /** Host items of coarser sizes (only corrections: late for the minute, on time for the hour). */
  coarser_window_items: number;
  /** Mean bytes of one shard checkpoint item. */
  checkpoint_item_bytes: number;
}
