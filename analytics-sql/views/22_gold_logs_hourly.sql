-- Gold: hourly log counts per (service, level).
CREATE OR REPLACE VIEW gold_logs_hourly AS
SELECT service, level, date_trunc('hour', occurred_at) AS hour_start, count(*) AS events
FROM silver_log_events
GROUP BY service, level, date_trunc('hour', occurred_at)
