-- Silver: metric samples deduplicated on event identity (producer_id, producer_seq).
-- Firehose delivers at least once, so bronze may hold a record twice; the first arrival wins.
CREATE OR REPLACE VIEW silver_metric_samples AS
SELECT event_id, producer_id, producer_seq, occurred_at, host, metric, value, unit, region, environment, tags, source, arrived_at
FROM (
  SELECT *, row_number() OVER (PARTITION BY producer_id, producer_seq ORDER BY arrived_at) AS copy_number
  FROM metric_samples
) AS bronze
WHERE copy_number = 1
