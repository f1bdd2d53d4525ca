-- Silver: log events deduplicated on event identity (producer_id, producer_seq).
-- Deduplicated within the event-time partition, as silver_metric_samples (a filter on it prunes).
CREATE OR REPLACE VIEW silver_log_events AS
SELECT event_id, producer_id, producer_seq, occurred_at, host, service, level, message, region, environment, attributes, arrived_at,
  year, month, day, hour
FROM (
  SELECT *, row_number() OVER (PARTITION BY year, month, day, hour, producer_id, producer_seq ORDER BY arrived_at) AS copy_number
  FROM log_events
) AS bronze
WHERE copy_number = 1
