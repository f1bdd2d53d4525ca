import { eventId } from '#core/contract/events.js';

/** Realistic metric names, snake_case as the contract wants: bench:fleet and bench:lake give a host's samples the first `metrics` of them. */
export const METRIC_NAMES = [
  'cpu_utilization',
  'memory_usage',
  'disk_usage',
  'network_in',
  'network_out',
  'system_load_1m',
  'system_load_5m',
  'disk_read_bytes',
  'disk_write_bytes',
  'disk_io_time_ms',
  'memory_cached_bytes',
  'memory_swap_used',
  'process_count',
  'thread_count',
  'tcp_connections',
  'network_errors',
  'filesystem_inodes_used',
  'context_switches',
  'interrupts_per_s',
  'uptime_seconds',
];

/**
 * The `m`-th metric sample of a fleet host from its agent (`producer`, `seq`) at `at`:
 * the body bench:fleet and bench:lake both encode, so both measure the same bytes.
 */
export function fleetSample(producer: string, seq: number, host: string, m: number, at: number, random: () => number) {
  return {
    event_id: eventId(producer, seq),
    producer_id: producer,
    producer_seq: seq,
    occurred_at: new Date(at),
    host,
    metric: METRIC_NAMES[m % METRIC_NAMES.length] as string,
    value: Math.round(random() * 10_000) / 100,
    unit: 'percent',
    region: 'us-east-1',
    environment: 'production',
    tags: {},
    source: 'agent',
  };
}
