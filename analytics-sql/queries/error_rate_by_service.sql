-- Error rate per service on one day: share of log events at ERROR or FATAL.
-- params: year INTEGER, month INTEGER, day INTEGER
SELECT
  service,
  count(*) AS events,
  count_if(level IN ('ERROR', 'FATAL')) AS errors,
  CAST(count_if(level IN ('ERROR', 'FATAL')) AS double) / count(*) AS error_rate
FROM silver_log_events
WHERE year = ? AND month = ? AND day = ?
GROUP BY service
ORDER BY service
