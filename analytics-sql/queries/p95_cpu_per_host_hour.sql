-- 95th percentile of CPU utilization per host per hour.
SELECT host, hour_start, p95_value AS p95_cpu, samples
FROM gold_metrics_hourly
WHERE metric = 'cpu_utilization'
ORDER BY host, hour_start
