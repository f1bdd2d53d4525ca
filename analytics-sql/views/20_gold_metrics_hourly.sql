-- Gold: hourly rollup per (metric, host); year/month/day/hour are the partition of the hour.
CREATE OR REPLACE VIEW gold_metrics_hourly AS
SELECT
  year,
  month,
  day,
  hour,
  metric,
  host,
  date_trunc('hour', occurred_at) AS hour_start,
  count(*) AS samples,
  avg(value) AS avg_value,
  min(value) AS min_value,
  max(value) AS max_value,
  approx_percentile(value, 0.95) AS p95_value
FROM silver_metric_samples
GROUP BY year, month, day, hour, metric, host, date_trunc('hour', occurred_at)
