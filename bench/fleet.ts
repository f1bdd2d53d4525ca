/**
 * Fleet benchmark: what the hot path costs per event at the shapes real fleets have,
 * with window state held across invocations (`flushIntervalSeconds`) and without it
 * (`0`: every batch writes its windows), side by side.
 *
 * Each host runs its own agent (its own producer id): every `interval_s` it sends one
 * KPL record of all its metrics, partition key = host, arriving 0.1–1 s after the
 * samples were taken. Records go to shards by the MD5 of their partition key, as
 * Kinesis routes them. A simulated clock drives Lambda's polling (one batch per shard
 * per second, at most 1,000 records), its tumbling windows (state passed from
 * invocation to invocation, a final invoke once the window's arrival time has passed)
 * and the real handler (base64, de-aggregation, decode, the fold, the held state's
 * encoding, the projection's conditional writes) against an in-memory DynamoDB that
 * stores items, answers reads with them and counts the units DynamoDB would bill
 * (bench/lib/memory-dynamo.ts).
 *
 * Shards: as many as each shape's state needs to hold a minute of its hosts within
 * Lambda's 1 MB per shard (C: 8; `--c-shards 4` shows what fewer cost: early flushes).
 *
 * `p95_visible_ms` is simulated: from a record's arrival to the poll that wrote its
 * windows, plus the real time that invocation took.
 *
 * For `pulse cost` (core/cost/reference-fleet.json, `npm run bench:cost-reference`) each
 * shape also reports what its records weigh on the stream (events per record, bytes per
 * event and record, Kinesis PUT payload units and Firehose 5 KB increments per event,
 * both readings), the window table's items after the run (host-minute items and their
 * bytes) and, per mode, what the handler prints: EMF documents and log lines (counted
 * and swallowed; in AWS they are CloudWatch Logs ingestion) and the distinct custom
 * metrics they define. The handler runs with the fleet views on, as a stage deploys.
 *
 *   npm run bench:fleet [-- --shapes A,B,C,D --flush 60]
 *
 * The shapes and figures are bench/lib/fleet-shapes.ts, the simulation
 * bench/lib/fleet-simulation.ts, the handler's output counted by bench/lib/handler-output.ts.
 */
import { parseArgs } from 'node:util';
import { type Shape, SHAPES } from './lib/fleet-shapes.js';
import { simulate } from './lib/fleet-simulation.js';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'A,B,C,D' },
    flush: { type: 'string', default: '60' },
    'c-shards': { type: 'string' },
  },
});
const FLUSH_S = Number(values.flush);
// EMF and log lines go to CloudWatch Logs in AWS, billed per GB: here they are counted
// and swallowed (bench/lib/handler-output.ts). The function name is a dimension of every EMF document.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.AWS_LAMBDA_FUNCTION_NAME = 'pulse-prod-hot-path';
const chosen = new Set(values.shapes.split(','));
if (values['c-shards']) (SHAPES[2] as Shape).shards = Number(values['c-shards']);

const results = [];
for (const shape of SHAPES) {
  if (!chosen.has(shape.name)) continue;
  const { stream, stored, ...held } = await simulate(shape, FLUSH_S);
  const { stream: _same, stored: _sameItems, ...perBatch } = await simulate(shape, 0);
  const eventsPerS = Math.round(((shape.hosts * shape.metrics) / shape.interval_s) * 100) / 100;
  const row = {
    name: shape.name,
    hosts: shape.hosts,
    metrics: shape.metrics,
    interval_s: shape.interval_s,
    shards: shape.shards,
    events_per_s: eventsPerS,
    writes_per_event: held.writes_per_event,
    write_units_per_event: held.write_units_per_event,
    read_units_per_event: held.read_units_per_event,
    p95_visible_ms: held.p95_visible_ms,
    seconds: shape.seconds,
    ...stream,
    ...stored,
    held,
    per_batch: perBatch,
  };
  process.stderr.write(
    `${shape.name} (${shape.note}; ${eventsPerS} events/s on ${shape.shards} shard(s), ${held.events} events):\n` +
      `  flush ${FLUSH_S} s: ${held.writes_per_event} writes, ${held.write_units_per_event} WU (checkpoints ${held.checkpoint_write_units_per_event}), ${held.read_units_per_event} RU per event; p95 visible ${held.p95_visible_ms} ms; max state ${held.max_state_bytes} B, ${held.early_flushes} early flushes\n` +
      `  flush 0:    ${perBatch.writes_per_event} writes, ${perBatch.write_units_per_event} WU (checkpoints ${perBatch.checkpoint_write_units_per_event}), ${perBatch.read_units_per_event} RU per event; p95 visible ${perBatch.p95_visible_ms} ms\n`,
  );
  results.push(row);
}
console.log(JSON.stringify({ bench: 'fleet', flush_interval_s: FLUSH_S, shapes: results }));
