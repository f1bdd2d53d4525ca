-- Row counts of the gold rollups for yesterday (UTC); the daily workflow fails if any is 0.
-- Each names yesterday's partitions, so Athena reads one day of the lake, not all of it.
SELECT
  (SELECT count(*) FROM gold_metrics_hourly
   WHERE year = year(current_date - INTERVAL '1' DAY) AND month = month(current_date - INTERVAL '1' DAY)
     AND day = day(current_date - INTERVAL '1' DAY)) AS metrics_hourly_rows,
  (SELECT count(*) FROM gold_metrics_daily
   WHERE year = year(current_date - INTERVAL '1' DAY) AND month = month(current_date - INTERVAL '1' DAY)
     AND day = day(current_date - INTERVAL '1' DAY)) AS metrics_daily_rows,
  (SELECT count(*) FROM gold_logs_hourly
   WHERE year = year(current_date - INTERVAL '1' DAY) AND month = month(current_date - INTERVAL '1' DAY)
     AND day = day(current_date - INTERVAL '1' DAY)) AS logs_hourly_rows
