-- Data freshness: how long after the event it reached the stream, and the latest arrival, per type.
SELECT
  event_type,
  count(*) AS events,
  avg(date_diff('millisecond', occurred_at, arrived_at)) AS avg_lag_ms,
  max(date_diff('millisecond', occurred_at, arrived_at)) AS max_lag_ms,
  max(arrived_at) AS latest_arrival
FROM (
  SELECT 'MetricSample' AS event_type, occurred_at, arrived_at FROM silver_metric_samples
  UNION ALL
  SELECT 'LogEvent' AS event_type, occurred_at, arrived_at FROM silver_log_events
) AS all_events
GROUP BY event_type
ORDER BY event_type
