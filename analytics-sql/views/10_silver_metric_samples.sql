-- Silver: metric samples deduplicated on event identity (producer_id, producer_seq).
-- Firehose delivers at least once, so bronze may hold a record twice; the first arrival wins.
-- Both copies of an event carry its event time, so they share a partition: deduplicating
-- within (year, month, day, hour) is the same, and lets a filter on those columns prune.
-- histogram (MetricSample v3) is null for plain samples and in files written before v3.
CREATE OR REPLACE VIEW silver_metric_samples AS
SELECT event_id, producer_id, producer_seq, occurred_at, host, metric, value, unit, region, environment, tags, source, histogram, arrived_at,
  year, month, day, hour
FROM (
  SELECT *, row_number() OVER (PARTITION BY year, month, day, hour, producer_id, producer_seq ORDER BY arrived_at) AS copy_number
  FROM metric_samples
) AS bronze
WHERE copy_number = 1
