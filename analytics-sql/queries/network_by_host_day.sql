-- Seed query 4: network in and out per host on one day (Mbps: average and peak of the samples).
-- params: year INTEGER, month INTEGER, day INTEGER
SELECT
  host,
  avg(CASE WHEN metric = 'network_in' THEN value END) AS avg_in_mbps,
  max(CASE WHEN metric = 'network_in' THEN value END) AS max_in_mbps,
  avg(CASE WHEN metric = 'network_out' THEN value END) AS avg_out_mbps,
  max(CASE WHEN metric = 'network_out' THEN value END) AS max_out_mbps
FROM silver_metric_samples
WHERE year = ? AND month = ? AND day = ?
  AND metric IN ('network_in', 'network_out')
GROUP BY host
ORDER BY host
