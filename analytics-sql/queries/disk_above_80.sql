-- Disk usage samples above 80 percent.
SELECT host, occurred_at, value AS disk_usage
FROM silver_metric_samples
WHERE metric = 'disk_usage' AND value > 80
ORDER BY occurred_at, host
