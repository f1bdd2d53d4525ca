-- Metric samples per metric and environment in a month, with the hosts that sent them.
-- params: year INTEGER, month INTEGER
SELECT metric, environment, count(*) AS samples, count(DISTINCT host) AS hosts
FROM silver_metric_samples
WHERE year = ? AND month = ?
GROUP BY metric, environment
ORDER BY metric, environment
