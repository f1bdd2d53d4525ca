-- Gold: hourly log counts per (service, level); year/month/day/hour are the partition of the hour.
CREATE OR REPLACE VIEW gold_logs_hourly AS
SELECT year, month, day, hour, service, level, date_trunc('hour', occurred_at) AS hour_start, count(*) AS events
FROM silver_log_events
GROUP BY year, month, day, hour, service, level, date_trunc('hour', occurred_at)
