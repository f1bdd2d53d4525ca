-- Seed query 3: disk_usage samples above a threshold (percent, e.g. 80) in a month, oldest first.
-- params: year INTEGER, month INTEGER, threshold DOUBLE
SELECT host, occurred_at, value
FROM silver_metric_samples
WHERE year = ? AND month = ?
  AND metric = 'disk_usage' AND value > ?
ORDER BY occurred_at, host
