-- DuckDB shims for the Athena (Trino) functions analytics-sql/ uses, so the same
-- files run locally. Differences that cannot be shimmed are listed in analytics-sql/README.md.
CREATE OR REPLACE MACRO approx_percentile(x, p) AS quantile_cont(x, p);
CREATE OR REPLACE MACRO approx_distinct(x) AS approx_count_distinct(x);
CREATE OR REPLACE MACRO from_unixtime(s) AS make_timestamp(CAST(s * 1000000 AS BIGINT));
CREATE OR REPLACE MACRO to_unixtime(t) AS epoch_ms(t) / 1000.0;
