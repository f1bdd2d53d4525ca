-- Seed query 2: the latest 100 raw memory_usage samples of a month, newest first.
-- params: year INTEGER, month INTEGER
SELECT host, occurred_at, value
FROM silver_metric_samples
WHERE year = ? AND month = ?
  AND metric = 'memory_usage'
ORDER BY occurred_at DESC, host
LIMIT 100
