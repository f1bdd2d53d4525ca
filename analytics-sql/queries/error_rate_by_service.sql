-- Error rate per service: share of log events at ERROR or FATAL.
SELECT
  service,
  count(*) AS events,
  count_if(level IN ('ERROR', 'FATAL')) AS errors,
  CAST(count_if(level IN ('ERROR', 'FATAL')) AS double) / count(*) AS error_rate
FROM silver_log_events
GROUP BY service
ORDER BY service
