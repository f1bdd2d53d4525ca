import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { SingleObjectEncoder } from '#core/contract/single-object.js';
import { LakeTransform } from '#core/lake/transform.js';
import { SLO_EMF } from '#core/metrics/names.js';
import { transformHandler } from '#handlers/lib/lake-transform.js';
import { LAKE_TRANSFORM_EMF, LAKE_TRANSFORM_SERVICE } from '#core/metrics/names.js';
import { captureEmf, dimensionsOf } from '#test/helpers/emf.js';
import { logEvent, metricSample } from '#test/helpers/events.js';
import { captureLogs, fakeContext } from '#test/helpers/logs.js';

describe('handlers/firehose-transform', () => {
  let handler: (event: {
    records: { recordId: string; approximateArrivalTimestamp: number; data: string }[];
  }) => Promise<{ records: Record<string, unknown>[] }>;

  beforeAll(async () => {
    process.env.PULSE_EVENT_TYPE = 'MetricSample';
    ({ handler } = await import('#handlers/firehose-transform.js'));
  });

  it('answers one record per id with Firehose fields only (no reasons or payloads leak into the answer)', async () => {
    // Prepare
    const registry = SchemaRegistry.load();
    const good = new SingleObjectEncoder().encode(registry.latest('MetricSample'), metricSample(1)).toString('base64');
    // Act
    const out = await handler({
      records: [
        { recordId: '1', approximateArrivalTimestamp: 1, data: good },
        { recordId: '2', approximateArrivalTimestamp: 1, data: Buffer.from('x').toString('base64') },
      ],
    });
    // Assess
    expect(out.records.map((r) => [r.recordId, r.result, Object.keys(r).sort().join(',')])).toEqual([
      ['1', 'Ok', 'data,metadata,recordId,result'],
      ['2', 'ProcessingFailed', 'data,recordId,result'],
    ]);
  });
});

describe('lake transform: the data-loss SLO count (SloLake)', () => {
  afterEach(() => vi.restoreAllMocks());

  it("counts the rows of the stack's sources' events by the minute they entered the stream, stamped an hour later", async () => {
    // Prepare: rows of a collector tick in two arrival minutes, a host agent's row, another type's event, garbage
    const registry = SchemaRegistry.load();
    const encoder = new SingleObjectEncoder();
    const encode = (producerId: string, seq: number) =>
      encoder
        .encode(registry.latest('MetricSample'), metricSample(seq, { producer_id: producerId }))
        .toString('base64');
    const log = encoder.encode(registry.latest('LogEvent'), logEvent(1, { producer_id: 'collector:0a' }));
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const record = (recordId: string, data: string, arrivalMs: number) => ({
      recordId,
      approximateArrivalTimestamp: arrivalMs + 500, // Firehose's own read, later than the stream's
      data,
      kinesisRecordMetadata: {
        shardId: 'shardId-000000000000',
        partitionKey: 'server-001',
        approximateArrivalTimestamp: arrivalMs,
        sequenceNumber: '1',
        subsequenceNumber: 0,
      },
    });
    const emf = captureEmf(LAKE_TRANSFORM_SERVICE);
    const handler = transformHandler({
      transform: new LakeTransform(registry, 'MetricSample'),
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: emf.metrics,
      functionName: 'pulse-test-transform',
    });
    // Act
    const out = await handler({
      records: [
        record('1', encode('collector:0a', 1), minute + 1_000),
        record('2', encode('collector:0a', 2), minute + 59_999),
        record('3', encode('ingest-api:0b', 1), minute + 60_000),
        record('4', encode('4f1c2a9e-agent', 1), minute + 1_000),
        record('5', log.toString('base64'), minute + 1_000),
        record('6', Buffer.from('x').toString('base64'), minute + 1_000),
      ],
    });
    emf.restore();
    // Assess
    expect(out.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok', 'Ok', 'Dropped', 'ProcessingFailed']);
    const slo = emf.documents().filter((d) => SLO_EMF.lake in d);
    expect(slo.map((d) => [d._aws.Timestamp, d.SloLake, d.function_name])).toEqual([
      [minute + 3_600_000, 2, 'pulse-test-transform'],
      [minute + 60_000 + 3_600_000, 1, 'pulse-test-transform'],
    ]);
  });
});

describe('lake transform: records by result, and the invocation in its logs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes RecordsOk, RecordsDropped and RecordsProcessingFailed; log lines carry the request id and invocation id', async () => {
    // Prepare: two rows, another type's event, two records that do not decode
    const registry = SchemaRegistry.load();
    const encoder = new SingleObjectEncoder();
    const sample = (seq: number) =>
      encoder.encode(registry.latest('MetricSample'), metricSample(seq)).toString('base64');
    const log = encoder.encode(registry.latest('LogEvent'), logEvent(1)).toString('base64');
    const garbage = Buffer.from('x').toString('base64');
    const records = [sample(1), sample(2), log, garbage, garbage].map((data, i) => ({
      recordId: String(i),
      approximateArrivalTimestamp: Date.now(),
      data,
    }));
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-6753c5e0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1');
    const emf = captureEmf(LAKE_TRANSFORM_SERVICE);
    const logs = captureLogs(LAKE_TRANSFORM_SERVICE);
    const handler = transformHandler({
      transform: new LakeTransform(registry, 'MetricSample'),
      logger: logs.logger,
      metrics: emf.metrics,
      functionName: 'pulse-test-transform',
    });
    // Act
    await handler(
      { invocationId: 'firehose-invocation-1', records },
      fakeContext('lambda-request-1', 'pulse-test-transform'),
    );
    logs.restore();
    emf.restore();
    vi.unstubAllEnvs();
    // Assess
    const counts = emf.documents().filter((d) => LAKE_TRANSFORM_EMF.ok in d);
    expect(counts.map((d) => [d.RecordsOk, d.RecordsDropped, d.RecordsProcessingFailed])).toEqual([[2, 1, 2]]);
    for (const d of counts) {
      expect(dimensionsOf(d)).toEqual([['function_name', 'service']]);
      expect(d).toMatchObject({ service: LAKE_TRANSFORM_SERVICE, function_name: 'pulse-test-transform' });
    }
    expect(logs.lines()).toEqual([
      expect.objectContaining({
        message: 'records failed',
        failed: 2,
        function_request_id: 'lambda-request-1',
        function_name: 'pulse-test-transform',
        correlation_id: 'firehose-invocation-1',
        xray_trace_id: '1-6753c5e0-0123456789abcdef01234567',
        cold_start: expect.any(Boolean),
      }),
    ]);
  });
});
