-- Network in and out totals per host (sum of the Mbps samples).
SELECT
  host,
  sum(CASE WHEN metric = 'network_in' THEN value ELSE 0 END) AS network_in_total,
  sum(CASE WHEN metric = 'network_out' THEN value ELSE 0 END) AS network_out_total
FROM silver_metric_samples
WHERE metric IN ('network_in', 'network_out')
GROUP BY host
ORDER BY host
