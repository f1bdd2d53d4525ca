/**
 * OTLP/HTTP into a running local pipeline (what `pulse start` runs), from the OpenTelemetry
 * JS SDK's own exporters and serializer, never from an encoder of ours: what the SDK
 * recorded arrives in the windows and the lake, a repeated export counts once, bad bodies
 * are refused whole.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { OTLPLogExporter as HttpLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as HttpMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import {
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { LakeQuery } from '#core/lake/lake-query.js';
import { decodeExportResponse, decodeStatus } from '#core/sources/otlp/wire.js';
import { LocalPipeline } from '#local/pipeline.js';

/** A reader that exports only when asked (collect()), for bodies made by the SDK's serializer. */
class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const resource = (host: string) =>
  resourceFromAttributes({
    'host.name': host,
    'service.name': 'checkout',
    'cloud.region': 'eu-west-1',
    'deployment.environment.name': 'test',
  });

/** Records the same instruments through `exporter` and exports them once. */
async function recordMetrics(host: string, exporter: PushMetricExporter): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resource(host), readers: [reader] });
  const meter = provider.getMeter('otlp-e2e');
  const requests = meter.createCounter('http.server.requests', { unit: '{request}' });
  requests.add(3, { route: '/cart' });
  requests.add(4, { route: '/cart' });
  meter.createGauge('queue.depth').record(42.5);
  const latency = meter.createHistogram('http.server.duration', { unit: 'ms' });
  for (const v of [1, 5, 20, 300]) latency.record(v, { route: '/cart' });
  // Shutting down exports once (a forceFlush before it would export the cumulative points twice).
  await provider.shutdown();
}

/** Emits three log records through `exporter`, one inside a span. */
async function recordLogs(host: string, exporter: LogRecordExporter): Promise<void> {
  const provider = new LoggerProvider({
    resource: resource(host),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('otlp-e2e');
  const span = trace.setSpanContext(context.active(), {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  });
  logger.emit({ severityNumber: 9, severityText: 'INFO', body: 'cart updated', attributes: { 'cart.items': 3 } });
  logger.emit({ severityNumber: 17, severityText: 'ERROR', body: { code: 'E42', retry: false }, context: span });
  logger.emit({ severityText: 'warning', body: 'slow checkout' });
  await provider.forceFlush();
  await provider.shutdown();
}

/** A request body of `points` gauge data points, made by the SDK's protobuf serializer. */
async function gaugeBody(host: string, points: number): Promise<Uint8Array> {
  const reader = new ManualReader({ cardinalitySelector: () => points + 1 });
  const provider = new MeterProvider({ resource: resource(host), readers: [reader] });
  const gauge = provider.getMeter('otlp-e2e').createGauge('bulk.value');
  for (let i = 0; i < points; i++) gauge.record(i + 1, { series: String(i) });
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return ProtobufMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array;
}

describe('OTLP/HTTP into local mode', () => {
  it('takes metrics and logs from the SDK exporters (protobuf and JSON) into windows and lake, each once, and refuses bad bodies whole', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-otlp-e2e-'));
    const pipeline = await LocalPipeline.create({
      registry: SchemaRegistry.load(),
      dataDir,
      hosts: 1,
      rate: 20_000,
      maxEvents: 5,
      shards: 2,
      backfillMs: 0,
      sources: { ingestPort: 0 },
    });
    const sources = pipeline.sources as NonNullable<typeof pipeline.sources>;
    const base = (sources.ingestUrl as string).replace(/\/v1\/events$/, '');
    const post = (path: string, body: Uint8Array, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', ...headers },
        body: new Uint8Array(body),
      });
    try {
      pipeline.run();
      const from = Date.now() - 3_600_000;

      // Act: the SDK's exporters
      await recordMetrics('otel-proto', new ProtoMetricExporter({ url: `${base}/v1/metrics` }));
      await recordMetrics('otel-json', new HttpMetricExporter({ url: `${base}/v1/metrics` }));
      await recordLogs('otel-proto', new ProtoLogExporter({ url: `${base}/v1/logs` }));
      await recordLogs('otel-json', new HttpLogExporter({ url: `${base}/v1/logs` }));
      // Act: one body sent twice (a retried export), gzip-compressed the second time
      const twice = await gaugeBody('otel-retry', 3);
      const first = await post('/v1/metrics', twice);
      const again = await post('/v1/metrics', gzipSync(twice), { 'content-encoding': 'gzip' });
      // Act: 10,000 data points in one request, then 10,001
      const bulk = await post('/v1/metrics', await gaugeBody('otel-bulk', 10_000));
      const over = await post('/v1/metrics', await gaugeBody('otel-over', 10_001));
      // Act: bad bodies
      const truncated = await post('/v1/metrics', twice.subarray(0, twice.length - 7));
      const bomb = await post('/v1/metrics', gzipSync(Buffer.alloc(64 * 1_048_576)), { 'content-encoding': 'gzip' });
      const fromPage = await post('/v1/logs', twice, { origin: 'https://example.com' });
      await pipeline.producerDone();
      const summary = await pipeline.stop();
      const to = Date.now() + 60_000;

      // Assess: the answers
      expect([first.status, new Uint8Array(await first.arrayBuffer()).length]).toEqual([200, 0]);
      expect(again.status).toBe(200);
      expect([
        bulk.status,
        decodeExportResponse('metrics', 'protobuf', new Uint8Array(await bulk.arrayBuffer())),
      ]).toEqual([200, {}]);
      expect([over.status, decodeStatus('protobuf', new Uint8Array(await over.arrayBuffer())).message]).toEqual([
        413,
        "10001 data points is above the limit of 10000 per request: lower the exporter's batch size (the Collector's send_batch_max_size)",
      ]);
      expect(truncated.status).toBe(400);
      expect(decodeStatus('protobuf', new Uint8Array(await truncated.arrayBuffer())).message).toMatch(
        /^body is not a valid ExportMetricsServiceRequest in protobuf: /,
      );
      expect([bomb.status, decodeStatus('protobuf', new Uint8Array(await bomb.arrayBuffer())).message]).toEqual([
        413,
        "body is above the 8388608-byte limit once decompressed: lower the exporter's batch size",
      ]);
      expect(fromPage.status).toBe(403);

      // Assess: counted exactly: 2 × (counter + gauge + histogram) + 2 × 3 logs + 3 (once) + 10,000
      expect(summary.sources.otlp).toBe(6 + 6 + 3 + 10_000);
      expect(summary).toMatchObject({ late: 0, quarantined: 0 });
      expect(summary.produced).toBe(summary.windowed);

      // Assess: the windows hold what the SDK recorded
      const window = async (metric: string, host: string) => {
        const ws = await pipeline.reader.series({ metric, host, from, to, sizeMs: 3_600_000 });
        expect(ws).toHaveLength(1);
        return ws[0] as (typeof ws)[number];
      };
      for (const host of ['otel-proto', 'otel-json']) {
        // A cumulative counter is stored as given: its value is the running total.
        expect(await window('http_server_requests', host)).toMatchObject({ count: 1, last: 7 });
        expect(await window('queue_depth', host)).toMatchObject({ count: 1, last: 42.5 });
        expect(await window('http_server_duration', host)).toMatchObject({ count: 4, sum: 326, min: 1, max: 300 });
      }
      expect((await window('bulk_value', 'otel-retry')).count).toBe(3);
      expect((await window('bulk_value', 'otel-bulk')).count).toBe(10_000);
      expect(
        await pipeline.reader.series({ metric: 'bulk_value', host: 'otel-over', from, to, sizeMs: 3_600_000 }),
      ).toEqual([]);

      // Assess: the lake has the same, with tags, histogram and log fields
      const lake = await LakeQuery.open(SchemaRegistry.load(), join(dataDir, 'lake'));
      try {
        const metrics = await lake.query(
          "SELECT host, metric, value, unit, region, environment, tags FROM silver_metric_samples WHERE source = 'otlp' AND host IN ('otel-proto', 'otel-json') ORDER BY host, metric",
        );
        expect(metrics.map((r) => [r.host, r.metric, r.value, r.unit, r.region, r.environment])).toEqual(
          ['otel-json', 'otel-proto'].flatMap((host) => [
            [host, 'http_server_duration', 81.5, 'ms', 'eu-west-1', 'test'],
            [host, 'http_server_requests', 7, 'count', 'eu-west-1', 'test'],
            [host, 'queue_depth', 42.5, '1', 'eu-west-1', 'test'],
          ]),
        );
        const histograms = await lake.query(
          "SELECT histogram.count AS n, histogram.sum AS s, histogram.min AS lo, histogram.max AS hi FROM silver_metric_samples WHERE metric = 'http_server_duration'",
        );
        expect(histograms.map((r) => [Number(r.n), r.s, r.lo, r.hi])).toEqual([
          [4, 326, 1, 300],
          [4, 326, 1, 300],
        ]);
        const counter = await lake.query(
          "SELECT tags['route'] AS route, tags['otel.temporality'] AS temporality, tags['service.name'] AS service FROM silver_metric_samples WHERE metric = 'http_server_requests' AND host = 'otel-proto'",
        );
        expect(counter).toEqual([{ route: '/cart', temporality: 'cumulative', service: 'checkout' }]);
        const logs = await lake.query(
          "SELECT host, service, level, message, attributes['trace_id'] AS trace_id, attributes['cart.items'] AS items FROM silver_log_events WHERE host IN ('otel-proto', 'otel-json') ORDER BY host, level, message",
        );
        expect(logs).toEqual(
          ['otel-json', 'otel-proto'].flatMap((host) => [
            {
              host,
              service: 'checkout',
              level: 'ERROR',
              message: '{"code":"E42","retry":false}',
              trace_id: '0af7651916cd43dd8448eb211c80319c',
              items: null,
            },
            { host, service: 'checkout', level: 'INFO', message: 'cart updated', trace_id: null, items: '3' },
            { host, service: 'checkout', level: 'WARN', message: 'slow checkout', trace_id: null, items: null },
          ]),
        );
        const retried = await lake.query(
          "SELECT count(*)::INT AS n FROM silver_metric_samples WHERE host = 'otel-retry'",
        );
        expect(retried).toEqual([{ n: 3 }]);
      } finally {
        lake.close();
      }
    } finally {
      await pipeline.close();
    }
  }, 600_000);
});
