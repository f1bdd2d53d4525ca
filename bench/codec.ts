/**
 * Codec benchmark, one core: encode, decode, and de-aggregate + decode of
 * MetricSample, beside JSON.parse of the same events and beside the reference
 * aws-kinesis-agg de-aggregation. Ends with one JSON line of the figures.
 *
 * Every contender that reads records starts from the same input: the Lambda event's
 * record, whose `kinesis.data` is base64 (the hot path gets nothing else), so the
 * base64 decode is inside every one of their timings, ours as the reference's. The
 * JSON contender reads the same events as JSON lines in records of the same shape. The
 * 1M events/s target is judged on these. The single-event encode, decode and
 * JSON.parse figures work on in-memory values, without a record around them.
 *
 *   npm run bench:codec [-- --events 200000]
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { StreamDecoder } from '#core/contract/consumer.js';
import { WINDOW_READERS } from '#core/windows/fold.js';
import { eventId, type MetricSample } from '#core/contract/events.js';
import { AggregateBuilder, deaggregate, KINESIS_MAX_RECORD_BYTES, visitAggregate } from '#core/contract/kpl.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { WriterVersions } from '#core/contract/writer-versions.js';
import { SingleObjectDecoder, SingleObjectEncoder } from '#core/contract/single-object.js';
import { SyntheticFleet } from '#core/sources/synthetic-fleet.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '7' },
    case: { type: 'string' },
  },
});
const N = Number(values.events);
const ROUNDS = Number(values.rounds);

const registry = SchemaRegistry.load();
const writer = new WriterVersions(registry).of('MetricSample', {}); // what producers write a plain sample with
const fleet = new SyntheticFleet({ hosts: 10 });
const events: MetricSample[] = [];
for (let t = 0; events.length < N; t++) {
  for (const m of fleet.tick(new Date(1_763_800_000_000 + t * 60_000)).metrics) {
    const seq = events.length + 1;
    events.push({
      event_id: eventId('bench-producer-0001', seq),
      producer_id: 'bench-producer-0001',
      producer_seq: seq,
      ...m,
    });
    if (events.length === N) break;
  }
}

/** Best events/s over the rounds (the least disturbed run). */
function measure(label: string, run: () => number): number {
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    const n = run();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, n / s);
  }
  process.stderr.write(`${label.padEnd(58)} ${Math.round(best).toLocaleString('en-US').padStart(12)} events/s\n`);
  return Math.round(best);
}

const encoder = new SingleObjectEncoder();
const encoded = events.map((e) => encoder.encode(writer, e));
const json = events.map((e) => JSON.stringify(e));
const aggregates: { data: Buffer; pk: string }[] = [];
let b = new AggregateBuilder();
let pk = '';
for (let i = 0; i < encoded.length; i++) {
  const r = { partitionKey: events[i]?.host as string, data: encoded[i] as Buffer };
  if (b.count > 0 && b.size + b.sizeIncrease(r) + pk.length > KINESIS_MAX_RECORD_BYTES) {
    aggregates.push({ data: b.build(), pk });
    b = new AggregateBuilder();
  }
  if (b.count === 0) pk = r.partitionKey;
  b.add(r);
}
aggregates.push({ data: b.build(), pk });
/** What every record-reading contender starts from: the records as a Lambda event carries them. */
const lambdaShaped = aggregates.map((a) => ({
  data: a.data.toString('base64'),
  partitionKey: a.pk,
  sequenceNumber: '1',
}));
/** The same events as JSON lines, in Lambda-shaped records of at most 1 MB. */
const jsonLambdaShaped: { data: string }[] = [];
for (let i = 0, lines: string[] = [], bytes = 0; i <= json.length; i++) {
  const line = json[i];
  if (line === undefined || bytes + line.length + 1 > KINESIS_MAX_RECORD_BYTES) {
    jsonLambdaShaped.push({ data: Buffer.from(lines.join('\n')).toString('base64') });
    lines = [];
    bytes = 0;
  }
  if (line === undefined) break;
  lines.push(line);
  bytes += line.length + 1;
}
const decoder = new SingleObjectDecoder(registry);
/** The hot path's reader: a projection of the latest schema onto the fields windows use. */
const projected = new SingleObjectDecoder(registry, WINDOW_READERS);
const streamDecoder = new StreamDecoder(registry);
const require = createRequire(import.meta.url);
const ref = require('aws-kinesis-agg') as {
  deaggregateSync(r: object, checksums: boolean, cb: (e: Error | null, rs?: { data: string }[]) => void): void;
};

let sink = 0;
const cases: Record<string, [string, () => number]> = {
  encode_per_s: [
    'encode (single-object)',
    () => {
      for (const e of events) sink += encoder.encode(writer, e).length;
      return N;
    },
  ],
  decode_per_s: [
    'decode (single-object)',
    () => {
      for (const e of encoded) sink += decoder.decode(e).writer.version;
      return N;
    },
  ],
  json_parse_per_s: [
    'JSON.parse of the same events (in memory)',
    () => {
      for (const j of json) sink += (JSON.parse(j) as { producer_seq: number }).producer_seq;
      return N;
    },
  ],
  json_lines_lambda_shape_per_s: [
    'base64 JSON lines records + JSON.parse',
    () => {
      for (const r of jsonLambdaShaped)
        for (const line of Buffer.from(r.data, 'base64').toString('utf8').split('\n'))
          sink += (JSON.parse(line) as { producer_seq: number }).producer_seq;
      return N;
    },
  ],
  deaggregate_decode_per_s: [
    'base64 + de-aggregate (MD5 checked) + decode',
    () => {
      for (const a of lambdaShaped) {
        const data = Buffer.from(a.data, 'base64');
        visitAggregate(data, (_pk, _h, s, e) => (sink += decoder.decodeAt(data, s, e).writer.version));
      }
      return N;
    },
  ],
  deaggregate_decode_no_md5_per_s: [
    'base64 + de-aggregate (no MD5) + decode',
    () => {
      const opts = { verifyChecksum: false };
      for (const a of lambdaShaped) {
        const data = Buffer.from(a.data, 'base64');
        visitAggregate(data, (_pk, _h, s, e) => (sink += decoder.decodeAt(data, s, e).writer.version), opts);
      }
      return N;
    },
  ],
  deaggregate_decode_projected_per_s: [
    'base64 + de-aggregate (MD5) + decode, hot-path projection',
    () => {
      for (const a of lambdaShaped) {
        const data = Buffer.from(a.data, 'base64');
        visitAggregate(data, (_pk, _h, s, e) => (sink += projected.decodeAt(data, s, e).writer.version));
      }
      return N;
    },
  ],
  consumer_api_lambda_shape_per_s: [
    'StreamDecoder on Lambda-shaped records',
    () => {
      for (const a of lambdaShaped) sink += streamDecoder.decode({ kinesis: a }).events.length;
      return N;
    },
  ],
  array_deaggregate_decode_per_s: [
    'base64 + deaggregate() array + decode',
    () => {
      for (const a of lambdaShaped)
        for (const u of deaggregate(Buffer.from(a.data, 'base64'), a.partitionKey))
          sink += decoder.decode(u.data).writer.version;
      return N;
    },
  ],
  reference_deaggregate_decode_per_s: [
    'aws-kinesis-agg (base64 in and out) + decode',
    () => {
      for (const a of lambdaShaped) {
        ref.deaggregateSync(a, true, (_e, rs) => {
          for (const u of rs ?? []) sink += decoder.decode(Buffer.from(u.data, 'base64')).writer.version;
        });
      }
      return N;
    },
  ],
};
/**
 * Each case runs in its own process so one case's JIT state (megamorphic call
 * sites, GC pressure) cannot slow the next: the figures are per core, in isolation.
 */
if (values.case) {
  const c = cases[values.case];
  if (!c) throw new Error(`unknown case ${values.case}: one of ${Object.keys(cases).join(', ')}`);
  console.log(JSON.stringify({ [values.case]: measure(c[0], c[1]), sink: sink % 2 }));
  process.exit(0);
}
const figures: Record<string, number> = {
  events: N,
  avg_event_bytes: Math.round(encoded.reduce((a, e) => a + e.length, 0) / N),
  avg_json_bytes: Math.round(json.reduce((a, e) => a + e.length, 0) / N),
};
for (const name of Object.keys(cases)) {
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--case',
      name,
      '--events',
      String(N),
      '--rounds',
      String(ROUNDS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  Object.assign(figures, {
    [name]: (JSON.parse(out.toString().trim().split('\n').at(-1) as string) as Record<string, number>)[name],
  });
}
const target = 1_000_000;
console.log(
  JSON.stringify({
    bench: 'codec',
    ...figures,
    // judged from the base64 Lambda record, as every record-reading contender starts
    target_deaggregate_decode_per_s: target,
    target_input: 'base64 Lambda record',
    meets_target_with_md5: (figures.deaggregate_decode_per_s ?? 0) >= target,
    meets_target_without_md5: (figures.deaggregate_decode_no_md5_per_s ?? 0) >= target,
    meets_target_hot_path_projection: (figures.deaggregate_decode_projected_per_s ?? 0) >= target,
  }),
);
