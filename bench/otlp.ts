/**
 * bench:otlp: OTLP/HTTP metrics through the real ingest path (decompressed body → protobuf
 * decode → mapping and validation → Avro → KPL aggregates → PutRecords on a local Kinesis),
 * from protobuf requests of 1,000 data points that the OpenTelemetry SDK's own serializer
 * made once, up front. The local Kinesis runs in a process of its own, so the figure is
 * this process's: one JavaScript thread, so at most one core (its CPU time is printed too).
 *
 * Target (issue 19): at least 50,000 data points per second per core.
 *
 * `npm run bench:otlp -- --requests 300 --concurrency 4`; the last line is
 * `{"bench":"otlp","datapoints_per_s":…}`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { mapMetrics } from '#core/sources/otlp/map-metrics.js';
import { OtlpIngest } from '#core/sources/otlp/otlp-ingest.js';
import { decodeExportRequest } from '#core/sources/otlp/wire.js';
import { startKinesisServer } from '#local/kinesis-server.js';
import { createStream } from '#local/streams.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
    hosts: { type: 'string', default: '20' },
    serve: { type: 'string' },
  },
});

/** Collects on demand: the bodies are made once, before the clock starts. */
class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/**
 * One host's export of 1,000 data points, as a service's SDK sends it: 250 series of each of
 * a cumulative counter, an up-down counter, a gauge and a histogram (default buckets).
 */
async function exportBody(host: string): Promise<Uint8Array> {
  const reader = new ManualReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'host.name': host,
      'service.name': 'checkout',
      'cloud.region': 'eu-west-1',
      'deployment.environment.name': 'bench',
    }),
    readers: [reader],
  });
  const meter = provider.getMeter('bench-otlp');
  const requests = meter.createCounter('http.server.requests', { unit: '{request}' });
  const inflight = meter.createUpDownCounter('http.server.active_requests');
  const queue = meter.createGauge('queue.depth');
  const latency = meter.createHistogram('http.server.duration', { unit: 'ms' });
  for (let i = 0; i < 250; i++) {
    const attributes = { 'http.route': `/api/v1/items/${i}`, 'http.method': i % 2 ? 'GET' : 'POST' };
    requests.add(1 + (i % 17), attributes);
    inflight.add(i % 5, attributes);
    queue.record(i * 1.5, attributes);
    for (let j = 0; j < 5; j++) latency.record(1 + ((i * 7 + j * 13) % 900), attributes);
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return ProtobufMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array;
}

if (values.serve !== undefined) {
  // The local Kinesis in a process of its own: the figure is the ingesting process's.
  const server = await startKinesisServer({ path: join(values.serve, 'kinesis') });
  process.stdout.write(`${JSON.stringify({ kinesis: server.endpoint })}\n`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-otlp-'));
  const servers = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { kinesis: endpoint } = await new Promise<{ kinesis: string }>((resolve) =>
    servers.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { kinesis: string })),
  );
  const kinesis = createKinesisClient({ endpoint });
  try {
    await createStream(kinesis, 'otlp-bench', 4);
    const bodies = await Promise.all(
      Array.from({ length: Number(values.hosts) }, (_, i) => exportBody(`bench-${String(i).padStart(3, '0')}`)),
    );
    const ingest = new OtlpIngest({ target: { kinesis, streamName: 'otlp-bench', registry: SchemaRegistry.load() } });
    const send = async (body: Uint8Array) => {
      const out = await ingest.handle({
        signal: 'metrics',
        contentType: 'application/x-protobuf',
        contentEncoding: undefined,
        body,
      });
      if (out.statusCode !== 200 || out.counts.rejected > 0) {
        throw new Error(
          `answered ${out.statusCode} with ${out.counts.rejected} rejected: the bench bodies must all pass`,
        );
      }
      return out.counts.accepted;
    };
    // Warm-up (JIT, protobufjs's generated decoders, the stream's shards): not counted.
    for (const body of bodies.slice(0, 4)) await send(body);
    const total = Number(values.requests);
    const concurrency = Number(values.concurrency);
    let next = 0;
    let points = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const body = bodies[next++ % bodies.length] as Uint8Array;
          const accepted = await send(body); // read, then add: `points += await …` would add to a stale total
          points += accepted;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1_000;
    const cpu = process.cpuUsage(cpu0);
    // The same requests decoded and mapped only (nothing produced), to show where the time goes.
    const t1 = performance.now();
    for (let i = 0; i < total; i++) {
      const request = decodeExportRequest('metrics', 'protobuf', bodies[i % bodies.length] as Uint8Array);
      mapMetrics(request);
    }
    const decodeMapSeconds = (performance.now() - t1) / 1_000;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const bytes = bodies.reduce((n, b) => n + b.length, 0) / bodies.length;
    console.log(`requests        ${total} of 1,000 data points (${Math.round(bytes / 1_000)} KB of protobuf each)`);
    console.log(`data points     ${points} in ${seconds.toFixed(2)} s, ${concurrency} requests in flight`);
    console.log(`cpu             ${cpuSeconds.toFixed(2)} s of this process (one JavaScript thread)`);
    console.log(
      `decode and map  ${Math.round((total * 1_000) / decodeMapSeconds)} data points/s alone (the rest is Avro, KPL and PutRecords)`,
    );
    console.log(
      JSON.stringify({
        bench: 'otlp',
        datapoints_per_s: Math.round(points / seconds),
        datapoints_per_cpu_s: Math.round(points / cpuSeconds),
        requests: total,
        datapoints_per_request: 1_000,
        target_per_core: 50_000,
      }),
    );
  } finally {
    kinesis.destroy();
    servers.kill('SIGTERM');
  }
}
