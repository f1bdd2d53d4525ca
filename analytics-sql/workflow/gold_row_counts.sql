-- Row counts of the gold rollups for yesterday (UTC); the daily workflow fails if any is 0.
SELECT
  (SELECT count(*) FROM gold_metrics_hourly WHERE CAST(hour_start AS date) = current_date - INTERVAL '1' DAY) AS metrics_hourly_rows,
  (SELECT count(*) FROM gold_metrics_daily WHERE day_start = current_date - INTERVAL '1' DAY) AS metrics_daily_rows,
  (SELECT count(*) FROM gold_logs_hourly WHERE CAST(hour_start AS date) = current_date - INTERVAL '1' DAY) AS logs_hourly_rows
