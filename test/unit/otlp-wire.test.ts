import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { OtlpIngest, OTLP_LIMITS, type OtlpRequest } from '#core/sources/otlp/otlp-ingest.js';
import {
  decodeExportRequest,
  decodeExportResponse,
  decodeStatus,
  encodeExportResponse,
  nanosToMillis,
} from '#core/sources/otlp/wire.js';
import { otlpHandler, signalOf } from '#handlers/lib/otlp.js';
import { otlpDescriptorFromProtos } from '#test/helpers/otlp-descriptor.js';
import { mapMetrics } from '#core/sources/otlp/map-metrics.js';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

/** Collects on demand. */
class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const DESCRIPTOR = new URL('../../core/sources/otlp/opentelemetry-proto.json', import.meta.url);

/** A stream target whose client must never be called: every request here is refused before producing. */
const noStream = {
  kinesis: {
    send: () => {
      throw new Error('nothing may reach the stream');
    },
  },
  streamName: 'unused',
  registry: SchemaRegistry.load(),
};

describe('OTLP wire formats', () => {
  it('decodes with the descriptor of the official opentelemetry-proto files, as protobufjs parses them', () => {
    const fresh = otlpDescriptorFromProtos();
    if (process.env.PULSE_WRITE_OTLP_DESCRIPTOR === '1') writeFileSync(DESCRIPTOR, `${JSON.stringify(fresh)}\n`);
    expect(JSON.parse(readFileSync(DESCRIPTOR, 'utf8'))).toEqual(JSON.parse(JSON.stringify(fresh)));
  });

  it('reads OTLP/JSON: lowerCamelCase, 64-bit integers as strings or numbers, enums as integers, ids in hex', () => {
    // Prepare
    const body = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: '1700000000123456789',
                  severityNumber: 9,
                  traceId: '0af7651916cd43dd8448eb211c80319c',
                  spanId: 'B7AD6B7169203331',
                },
                { timeUnixNano: 1700000000000000000 },
              ],
            },
          ],
        },
      ],
    };
    // Act
    const out = decodeExportRequest('logs', 'json', Buffer.from(JSON.stringify(body)));
    // Assess
    const [a, b] = out.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? [];
    expect(Buffer.from(a?.traceId ?? []).toString('hex')).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(Buffer.from(a?.spanId ?? []).toString('hex')).toBe('b7ad6b7169203331');
    expect([nanosToMillis(a?.timeUnixNano), nanosToMillis(b?.timeUnixNano), a?.severityNumber]).toEqual([
      1700000000123, 1700000000000, 9,
    ]);
    // Without the long package (a bundle), a ns time is a rounded double: the ms stay exact
    expect(nanosToMillis(1796623752834000000)).toBe(1796623752834);
  });

  it('keeps a zero the SDK wrote for a oneof member (a value of 0 is not an unset value)', async () => {
    // Prepare: the SDK's own serializer
    const reader = new ManualReader();
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'host.name': 'h' }), readers: [reader] });
    const meter = provider.getMeter('zero');
    meter.createGauge('g').record(0);
    meter.createUpDownCounter('u').add(0);
    meter.createHistogram('h').record(0);
    const { resourceMetrics } = await reader.collect();
    const body = ProtobufMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array;
    // Act
    const out = mapMetrics(decodeExportRequest('metrics', 'protobuf', body));
    // Assess
    expect(out.rejected).toBe(0);
    expect(out.events.map((e) => [(e.body as { metric: string }).metric, (e.body as { value: number }).value])).toEqual(
      [
        ['g', 0],
        ['u', 0],
        ['h', 0],
      ],
    );
    expect((out.events[2]?.body as { histogram: { sum: number | null; min: number | null } }).histogram).toMatchObject({
      count: 1,
      sum: 0,
      min: 0,
      max: 0,
    });
  });

  it('says why a body does not decode, never quoting it', () => {
    const bad = (signal: 'metrics' | 'logs', encoding: 'json' | 'protobuf', body: string | Buffer) => {
      try {
        decodeExportRequest(signal, encoding, Buffer.from(body));
        return 'decoded';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(bad('metrics', 'json', '{"resourceMetrics": 3}')).toBe(
      'body is not a valid OTLP/JSON ExportMetricsServiceRequest: .opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest.resourceMetrics: array expected',
    );
    expect(bad('metrics', 'json', 'secret-not-json')).toBe(
      'body is not valid JSON: send an OTLP/JSON ExportMetricsServiceRequest',
    );
    expect(bad('logs', 'json', '[1]')).toBe('body must be a JSON object: an OTLP/JSON ExportLogsServiceRequest');
    expect(bad('logs', 'json', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"zz"}]}]}]}')).toBe(
      'logRecords[0].traceId must be a hex string (OTLP/JSON encodes ids in hex)',
    );
    expect(bad('metrics', 'protobuf', Buffer.from([0x0a, 0x05, 0x01]))).toMatch(
      /^body is not a valid ExportMetricsServiceRequest in protobuf: index out of range/,
    );
  });

  it('answers partial success in the request encoding, and nothing at all on full success', () => {
    expect(encodeExportResponse('metrics', 'protobuf')).toHaveLength(0);
    expect(encodeExportResponse('logs', 'json').toString()).toBe('{}');
    expect(encodeExportResponse('logs', 'json', { rejected: 2, errorMessage: 'why' }).toString()).toBe(
      '{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"why"}}',
    );
    const proto = encodeExportResponse('metrics', 'protobuf', { rejected: 0, errorMessage: 'attributes left out' });
    expect(decodeExportResponse('metrics', 'protobuf', proto)).toEqual({
      partialSuccess: { rejected: 0, errorMessage: 'attributes left out' },
    });
  });
});

describe('OTLP request limits (refused whole, before anything is produced)', () => {
  const ingest = new OtlpIngest({ target: noStream, limits: { maxItems: 2 } });
  const request = (o: Partial<OtlpRequest>): OtlpRequest => ({
    signal: 'metrics',
    contentType: 'application/x-protobuf',
    contentEncoding: undefined,
    body: Buffer.alloc(0),
    ...o,
  });
  const points = (n: number) =>
    Buffer.from(
      JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              { metrics: [{ name: 'g', gauge: { dataPoints: Array.from({ length: n }, () => ({ asDouble: 1 })) } }] },
            ],
          },
        ],
      }),
    );

  it('refuses another media type or coding (415), a body that does not decode or inflate (400)', async () => {
    const answers = await Promise.all([
      ingest.handle(request({ contentType: 'text/plain' })),
      ingest.handle(request({ contentEncoding: 'br' })),
      ingest.handle(request({ contentEncoding: 'gzip', body: Buffer.from('not gzip') })),
      ingest.handle(request({ contentType: 'application/json; charset=utf-8', body: Buffer.from('{') })),
    ]);
    expect(
      answers.map((a) => [
        a.statusCode,
        a.contentType,
        decodeStatus(a.contentType === 'application/json' ? 'json' : 'protobuf', a.body),
      ]),
    ).toEqual([
      [
        415,
        'application/json',
        { code: 3, message: "Content-Type must be application/x-protobuf or application/json, got 'text/plain'" },
      ],
      [415, 'application/x-protobuf', { code: 3, message: "Content-Encoding must be gzip or none, got 'br'" }],
      [400, 'application/x-protobuf', { code: 3, message: 'body is not valid gzip (Content-Encoding: gzip)' }],
      [
        400,
        'application/json',
        { code: 3, message: 'body is not valid JSON: send an OTLP/JSON ExportMetricsServiceRequest' },
      ],
    ]);
  });

  it('refuses by size as sent, by size inflated (a gzip bomb stops at the limit), and by count (413)', async () => {
    const member = gzipSync(Buffer.alloc(1_048_576));
    const big = await ingest.handle(request({ body: Buffer.alloc(OTLP_LIMITS.maxBodyBytes + 1) }));
    // 1 GiB of zeros in 1 MB: 1,024 gzip members of 1 MiB each (gunzip reads them all as one body)
    const bomb = Buffer.concat(Array.from({ length: 1_024 }, () => member));
    const inflated = await ingest.handle(request({ contentEncoding: 'gzip', body: bomb }));
    const many = await ingest.handle(request({ contentType: 'application/json', body: points(3) }));
    expect([big.statusCode, inflated.statusCode, many.statusCode]).toEqual([413, 413, 413]);
    expect(decodeStatus('protobuf', inflated.body).message).toBe(
      "body is above the 8388608-byte limit once decompressed: lower the exporter's batch size",
    );
    expect(many.counts).toEqual({ accepted: 0, rejected: 3, attributesDropped: 0 });
    expect(decodeStatus('json', many.body).message).toBe(
      "3 data points is above the limit of 2 per request: lower the exporter's batch size (the Collector's send_batch_max_size)",
    );
  });

  it('answers an empty request 200 with nothing produced', async () => {
    const empty = await ingest.handle(request({ contentType: 'application/json', body: Buffer.from('{}') }));
    expect([empty.statusCode, empty.body.toString(), empty.counts]).toEqual([
      200,
      '{}',
      { accepted: 0, rejected: 0, attributesDropped: 0 },
    ]);
  });
});

describe('the OTLP handler behind API Gateway', () => {
  const handler = otlpHandler({ target: noStream, logger: new Logger({ logLevel: 'SILENT' }) });

  it('routes by path, decodes a base64 body, and takes a body API Gateway already inflated', async () => {
    expect([signalOf('/v1/metrics'), signalOf('/prod/v1/logs'), signalOf('/v1/events')]).toEqual([
      'metrics',
      'logs',
      undefined,
    ]);
    const json = Buffer.from('{"resourceLogs":[]}');
    const base = { path: '/v1/logs', resource: '/v1/logs', isBase64Encoded: true };
    const plain = await handler({
      ...base,
      headers: { 'Content-Type': 'application/json' },
      body: json.toString('base64'),
    });
    // Content-Encoding: gzip on a body that is not gzip: API Gateway inflated it
    const inflated = await handler({
      ...base,
      headers: { 'content-type': 'application/json', 'Content-Encoding': 'gzip' },
      body: json.toString('base64'),
    });
    const gzipped = await handler({
      ...base,
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.alloc(0)).toString('base64'),
    });
    expect([plain, inflated].map((r) => [r.statusCode, r.body, r.isBase64Encoded])).toEqual([
      [200, '{}', false],
      [200, '{}', false],
    ]);
    expect([gzipped.statusCode, gzipped.headers?.['content-type'], gzipped.body, gzipped.isBase64Encoded]).toEqual([
      200,
      'application/x-protobuf',
      '',
      true,
    ]);
  });
});
