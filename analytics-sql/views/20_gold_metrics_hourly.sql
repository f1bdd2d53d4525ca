-- Gold: hourly rollup per (metric, host).
CREATE OR REPLACE VIEW gold_metrics_hourly AS
SELECT
  metric,
  host,
  date_trunc('hour', occurred_at) AS hour_start,
  count(*) AS samples,
  avg(value) AS avg_value,
  min(value) AS min_value,
  max(value) AS max_value,
  approx_percentile(value, 0.95) AS p95_value
FROM silver_metric_samples
GROUP BY metric, host, date_trunc('hour', occurred_at)
