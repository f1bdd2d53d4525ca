-- Peak usage times: per metric, the 3 hours (UTC) of one day with the highest average across the fleet.
-- params: year INTEGER, month INTEGER, day INTEGER
SELECT metric, hour, hour_rank, avg_value, samples
FROM (
  SELECT
    metric,
    hour,
    avg(value) AS avg_value,
    count(*) AS samples,
    row_number() OVER (PARTITION BY metric ORDER BY avg(value) DESC, hour) AS hour_rank
  FROM silver_metric_samples
  WHERE year = ? AND month = ? AND day = ?
  GROUP BY metric, hour
) AS hourly
WHERE hour_rank <= 3
ORDER BY metric, hour_rank
