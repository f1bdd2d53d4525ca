-- Events per day (event time) per event type in a month.
-- params: year INTEGER, month INTEGER
SELECT event_type, event_date, count(*) AS events
FROM (
  SELECT 'MetricSample' AS event_type, CAST(occurred_at AS date) AS event_date, year, month FROM silver_metric_samples
  UNION ALL
  SELECT 'LogEvent' AS event_type, CAST(occurred_at AS date) AS event_date, year, month FROM silver_log_events
) AS all_events
WHERE year = ? AND month = ?
GROUP BY event_type, event_date
ORDER BY event_date, event_type
