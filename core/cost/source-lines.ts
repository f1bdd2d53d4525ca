/** The cost lines of the sources that run functions of their own: the ingest API and the collector. */
import { ASSUMPTIONS, fmt, type PricedLine, usd } from './bill.js';
import { GB, type PricingContext } from './pricing.js';

/** The sources' lines, and their request and tick counts. */
export interface SourceLines {
  lines: PricedLine[];
  /** Ingest API requests in the month, and per second. */
  requests: number;
  requestsPerS: number;
  /** Collector ticks in the month. */
  ticks: number;
}

/** API Gateway, the ingest function and its idempotency records, and the scheduled collector; warns when the ingest API would be throttled. */
export function sourceLines(c: PricingContext, stream: { storagePrice: number }): SourceLines {
  const { stage, prices: p, seconds, rate, ingestShare, perRequest, warnings, line, lambdaCost } = c;
  const A = ASSUMPTIONS;
  const { storagePrice } = stream;
  const d = p.dynamodb;
  // ---- Ingest API, collector ---------------------------------------------
  const requestsPerS = (ingestShare * rate) / perRequest;
  const requests = requestsPerS * seconds;
  if (requestsPerS > stage.ingestRateLimit) {
    warnings.push(
      `the ingest API would get ${fmt(requestsPerS)} requests/s, above its ${stage.ingestRateLimit}/s throttle: raise ingestRateLimit or send more events per request (up to ${stage.ingestMaxEvents})`,
    );
  }
  const api = line(
    'API Gateway (ingest API)',
    (requests / 1e6) * p.apigateway.rest_requests_per_million,
    `${fmt(ingestShare * 100)} % of events arrive through the REST ingest API, ${fmt(perRequest)} events a request (limit ${stage.ingestMaxEvents}): ${fmt(requestsPerS)} requests/s, ${fmt(requests / 1e6)} M × ${usd(p.apigateway.rest_requests_per_million)}/M (--ingest-share, --ingest-events-per-request)`,
  );
  const ingestSeconds = requests * ((A.ingestRequestMs + perRequest * A.ingestMsPerEvent) / 1_000);
  const ingestFn = line(
    'Lambda ingest API',
    lambdaCost(ingestSeconds * (stage.ingestMemoryMb / 1_024), requests),
    `${fmt(requests / 1e6)} M invocations × ${fmt(A.ingestRequestMs + perRequest * A.ingestMsPerEvent)} ms at ${stage.ingestMemoryMb} MB (assumed, not measured: PutRecords and two idempotency writes waited for, validation)`,
  );
  const idempotencyGb =
    (requestsPerS * A.idempotencyTtlSeconds * (A.idempotencyRecordBytes + A.dynamoItemOverheadBytes)) / GB;
  const idempotency = line(
    'DynamoDB idempotency (ingest API)',
    ((requests * A.idempotencyWritesPerRequest) / 1e6) * d.on_demand_write_units_per_million +
      idempotencyGb * storagePrice,
    `${A.idempotencyWritesPerRequest} write units per request with an Idempotency-Key (in progress, completed) + a day of records (${fmt(idempotencyGb)} GB) stored with PITR`,
  );
  const ticks = seconds / stage.collectorIntervalSeconds;
  const collector = line(
    'Lambda collector (schedule)',
    lambdaCost((ticks * A.collectorTickMs * stage.collectorMemoryMb) / 1_000 / 1_024, ticks),
    `${fmt(ticks)} ticks (every ${stage.collectorIntervalSeconds} s) × ${A.collectorTickMs} ms at ${stage.collectorMemoryMb} MB, assumed; its synthetic hosts' events are not added to the fleet's; the EventBridge schedule is free`,
    lambdaCost((ticks * A.collectorTickMs * stage.collectorMemoryMb) / 1_000 / 1_024, ticks),
  );
  return { lines: [api, ingestFn, idempotency, collector], requests, requestsPerS, ticks };
}
