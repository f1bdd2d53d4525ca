-- Data freshness on one day: how long after the event it reached the stream, and the latest arrival, per type.
-- params: year INTEGER, month INTEGER, day INTEGER
SELECT
  event_type,
  count(*) AS events,
  avg(date_diff('millisecond', occurred_at, arrived_at)) AS avg_lag_ms,
  max(date_diff('millisecond', occurred_at, arrived_at)) AS max_lag_ms,
  max(arrived_at) AS latest_arrival
FROM (
  SELECT 'MetricSample' AS event_type, occurred_at, arrived_at, year, month, day FROM silver_metric_samples
  UNION ALL
  SELECT 'LogEvent' AS event_type, occurred_at, arrived_at, year, month, day FROM silver_log_events
) AS all_events
WHERE year = ? AND month = ? AND day = ?
GROUP BY event_type
ORDER BY event_type
