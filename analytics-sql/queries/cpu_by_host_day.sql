-- Average, maximum and minimum CPU utilization per host on the latest day in the lake.
SELECT host, avg(value) AS avg_cpu, max(value) AS max_cpu, min(value) AS min_cpu, count(*) AS samples
FROM silver_metric_samples
WHERE metric = 'cpu_utilization'
  AND CAST(occurred_at AS date) = (
    SELECT max(CAST(occurred_at AS date)) FROM silver_metric_samples WHERE metric = 'cpu_utilization'
  )
GROUP BY host
ORDER BY host
