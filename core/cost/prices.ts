/** The dated price list the cost model reads (prices-2026-11.json: us-east-1, copied by hand, check before quoting). */
import { readFileSync } from 'node:fs';

/** The price list (see the JSON file for units and sources). */
export interface Prices {
  as_of: string;
  region: string;
  kinesis: Record<
    | 'on_demand_stream_hour'
    | 'on_demand_ingest_per_gb'
    | 'on_demand_retrieval_per_gb'
    | 'on_demand_extended_retention_per_gb_month'
    | 'provisioned_shard_hour'
    | 'provisioned_put_units_per_million'
    | 'provisioned_extended_retention_shard_hour',
    number
  >;
  lambda: Record<'arm_per_gb_second' | 'requests_per_million', number>;
  dynamodb: Record<
    | 'on_demand_write_units_per_million'
    | 'on_demand_read_units_per_million'
    | 'storage_per_gb_month'
    | 'pitr_per_gb_month',
    number
  >;
  firehose: Record<
    | 'ingest_per_gb'
    | 'format_conversion_per_gb'
    | 'dynamic_partitioning_per_gb'
    | 'dynamic_partitioning_per_1000_objects',
    number
  >;
  s3: Record<'put_per_1000' | 'get_per_1000' | 'standard_per_gb_month', number>;
  athena: Record<'per_tb_scanned' | 'minimum_mb_per_query', number>;
  glue: Record<'catalog_requests_per_million' | 'catalog_objects_per_100k_month', number>;
  stepfunctions: Record<'standard_per_1000_transitions', number>;
  cloudwatch: {
    custom_metric_tiers: { up_to: number | null; per_metric_month: number }[];
    standard_alarm_per_metric_month: number;
    metrics_insights_alarm_per_metric_analyzed_month: number;
    dashboard_month: number;
    logs_ingest_per_gb: number;
    logs_storage_per_gb_month: number;
  };
  apigateway: Record<'rest_requests_per_million', number>;
  kms: Record<'key_month' | 'requests_per_10000', number>;
  sqs: Record<'requests_per_million', number>;
  xray: Record<'traces_recorded_per_million', number>;
}

/** Loads the dated price list kept beside this module. */
export function loadPrices(): Prices {
  return JSON.parse(readFileSync(new URL('./prices-2026-11.json', import.meta.url), 'utf8')) as Prices;
}
