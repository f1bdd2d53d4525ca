/**
 * Local-mode benchmark on this machine: the whole pipeline (producer, kinesalite,
 * hot path into DynamoDB Local, delivery into Parquet) at a target rate. Reports the
 * sustained rate, how long both paths needed to catch up after producing stopped,
 * latency from stream arrival to window written (over the whole run, and in the
 * steady state: after a warm-up, while producing), and memory over time (RSS and
 * V8 heap, averaged over the two halves of the producing period). Ends with one
 * JSON line.
 *
 *   npm run bench:local [-- --rate 5000 --seconds 30 --hosts 10 --shards 2 --warmup-s 10]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '#core/contract/registry.js';
import { isConserved } from '#local/conservation.js';
import { LocalPipeline } from '#local/pipeline.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '30' },
    // the fleet and stream of `pulse start`
    hosts: { type: 'string', default: '10' },
    shards: { type: 'string', default: '2' },
    'backfill-s': { type: 'string', default: '0' },
    'warmup-s': { type: 'string', default: '10' },
    // The dense fleet's latency bench: every batch writes (pulse start holds a minute by default).
    'flush-interval': { type: 'string', default: '0' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmupS = Math.min(Number(values['warmup-s']), seconds / 2);

const pipeline = await LocalPipeline.create({
  registry: SchemaRegistry.load(),
  dataDir: mkdtempSync(join(tmpdir(), 'pulse-bench-local-')),
  hosts: Number(values.hosts),
  rate,
  shards: Number(values.shards),
  flushIntervalSeconds: Number(values['flush-interval']),
  // Steady state by default: no compressed history (it multiplies the windows per batch).
  backfillMs: Number(values['backfill-s']) * 1_000,
});
/** Memory once a second while producing (catching up after the stop is left out of the halves). */
const rss: number[] = [];
const heap: number[] = [];
let producing = true;
let peakRss = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  if (!producing) return;
  rss.push(m.rss);
  heap.push(m.heapUsed);
}, 1_000);
pipeline.run();
// Steady state: after the warm-up (JIT of Node and of DynamoDB Local), until producing stops.
await new Promise((r) => setTimeout(r, warmupS * 1_000));
const warm = pipeline.latencySamples;
// How long callbacks wait for the one event loop that runs the producer, both paths and kinesalite.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
await new Promise((r) => setTimeout(r, (seconds - warmupS) * 1_000));
const steady = pipeline.latency(warm, pipeline.latencySamples);
loopDelay.disable();
producing = false;
const stopAt = Date.now();
const summary = await pipeline.stop();
const catchUpS = (Date.now() - stopAt) / 1000;
clearInterval(sampler);
await pipeline.close();
const mb = (b: number) => Math.round(b / 1_048_576);
const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
const halves = (a: number[]) => [
  mb(avg(a.slice(0, Math.floor(a.length / 2)))),
  mb(avg(a.slice(Math.floor(a.length / 2)))),
];
const [rssFirst, rssSecond] = halves(rss);
const [heapFirst, heapSecond] = halves(heap);
const figures = {
  bench: 'local',
  target_rate: rate,
  seconds,
  produced: summary.produced,
  sustained_events_per_s: summary.events_per_s,
  catch_up_after_stop_s: Math.round(catchUpS * 10) / 10,
  // Every event the stream holds is in the windows and the lake (pulse start's exit code).
  conserved: isConserved(summary),
  hosts: Number(values.hosts),
  shards: Number(values.shards),
  warmup_s: warmupS,
  steady_p50_latency_ms: steady.p50,
  steady_p95_latency_ms: steady.p95,
  steady_p99_latency_ms: steady.p99,
  p50_latency_ms: summary.p50_latency_ms,
  p95_latency_ms: summary.p95_latency_ms,
  p99_latency_ms: summary.p99_latency_ms,
  // (the histogram's samples include its own 10 ms timer interval)
  steady_event_loop_delay_p99_ms: Math.max(0, Math.round(loopDelay.percentile(99) / 1e6) - 10),
  steady_event_loop_delay_max_ms: Math.max(0, Math.round(loopDelay.max / 1e6) - 10),
  peak_rss_mb: mb(peakRss),
  rss_first_half_mb: rssFirst,
  rss_second_half_mb: rssSecond,
  heap_used_first_half_mb: heapFirst,
  heap_used_second_half_mb: heapSecond,
  targets: { sustained_events_per_s: 50_000, p95_latency_ms_at_5000: 500 },
};
process.stderr.write(
  `${summary.produced} events at ${summary.events_per_s}/s (target rate ${rate}); caught up ${figures.catch_up_after_stop_s} s after stopping; ` +
    `latency p50 ${summary.p50_latency_ms} / p95 ${summary.p95_latency_ms} / p99 ${summary.p99_latency_ms} ms ` +
    `(after the ${warmupS} s warm-up, while producing: ${steady.p50} / ${steady.p95} / ${steady.p99} ms); RSS peak ${figures.peak_rss_mb} MB; while producing, by halves: RSS ${rssFirst} → ${rssSecond} MB, heap ${heapFirst} → ${heapSecond} MB\n`,
);
console.log(JSON.stringify(figures));
