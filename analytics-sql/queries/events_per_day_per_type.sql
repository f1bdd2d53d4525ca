-- Events per day (event time) per event type.
SELECT event_type, day, count(*) AS events
FROM (
  SELECT 'MetricSample' AS event_type, CAST(occurred_at AS date) AS day FROM silver_metric_samples
  UNION ALL
  SELECT 'LogEvent' AS event_type, CAST(occurred_at AS date) AS day FROM silver_log_events
) AS all_events
GROUP BY event_type, day
ORDER BY day, event_type
