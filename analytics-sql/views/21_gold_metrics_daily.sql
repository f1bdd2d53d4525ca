-- Gold: daily rollup per (metric, host); year/month/day are the partitions of the day.
CREATE OR REPLACE VIEW gold_metrics_daily AS
SELECT
  year,
  month,
  day,
  metric,
  host,
  CAST(occurred_at AS date) AS day_start,
  count(*) AS samples,
  avg(value) AS avg_value,
  min(value) AS min_value,
  max(value) AS max_value,
  approx_percentile(value, 0.95) AS p95_value
FROM silver_metric_samples
GROUP BY year, month, day, metric, host, CAST(occurred_at AS date)
