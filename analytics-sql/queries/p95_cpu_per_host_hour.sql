-- 95th percentile of CPU utilization per host per hour of one day.
-- params: year INTEGER, month INTEGER, day INTEGER
SELECT host, hour_start, p95_value AS p95_cpu, samples
FROM gold_metrics_hourly
WHERE year = ? AND month = ? AND day = ?
  AND metric = 'cpu_utilization'
ORDER BY host, hour_start
