-- Seed query 1: CPU utilization per host on one day (average, maximum, minimum, samples), highest average first.
-- params: year INTEGER, month INTEGER, day INTEGER
SELECT host, avg(value) AS avg_cpu, max(value) AS max_cpu, min(value) AS min_cpu, count(*) AS samples
FROM silver_metric_samples
WHERE year = ? AND month = ? AND day = ?
  AND metric = 'cpu_utilization'
GROUP BY host
ORDER BY avg_cpu DESC, host
