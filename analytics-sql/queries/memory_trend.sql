-- Memory usage trend: hourly average per host.
SELECT host, hour_start, avg_value AS avg_memory
FROM gold_metrics_hourly
WHERE metric = 'memory_usage'
ORDER BY host, hour_start
