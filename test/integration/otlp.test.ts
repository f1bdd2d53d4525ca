/**
 * The OTLP handler against the local servers (Kinesis, DynamoDB for Powertools Idempotency):
 * a repeated export answered from its first run, a stream that does not take the events in
 * time answered 503 with Retry-After and the retry counted once, every rejection counted in
 * EMF, and the local server's throttle answered as OTLP/HTTP says.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { OTLP_EMF } from '#core/metrics/names.js';
import type { StreamTarget } from '#core/sources/emit.js';
import { decodeExportResponse, decodeStatus } from '#core/sources/otlp/wire.js';
import { type OtlpEvent, otlpHandler } from '#handlers/lib/otlp.js';
import { serveOtlp } from '#local/otlp-server.js';
import { ensureIdempotencyTable } from '#local/tables.js';
import { captureEmf } from '#test/helpers/emf.js';
import { useLocalDynamo } from '#test/helpers/local-dynamo.js';
import { faultyKinesis, readAll, useLocalKinesis } from '#test/helpers/local-kinesis.js';

const registry = SchemaRegistry.load();
const kinesisLocal = useLocalKinesis();
const dynamoLocal = useLocalDynamo();
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

async function fresh(kinesis: Pick<KinesisClient, 'send'> = kinesisLocal.kinesis) {
  const streamName = await kinesisLocal.newStream(2);
  const tableName = `idempotency-${randomUUID().slice(0, 8)}`;
  await ensureIdempotencyTable(dynamoLocal.ddb, tableName);
  const target: StreamTarget = { kinesis, streamName, registry, retry: { baseBackoffMs: 5, maxBackoffMs: 20 } };
  return { target, store: { ddb: dynamoLocal.ddb, tableName }, streamName };
}

const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
const now = Date.now();

/** An OTLP/JSON metrics export as API Gateway hands it over: gauges for `hosts`, plus one point without a time. */
function exportEvent(hosts: string[]): OtlpEvent {
  const body = {
    resourceMetrics: hosts.map((host) => ({
      resource: { attributes: [{ key: 'host.name', value: { stringValue: host } }] },
      scopeMetrics: [
        {
          metrics: [
            {
              name: 'queue.depth',
              gauge: {
                dataPoints: [
                  { timeUnixNano: ns(now), asDouble: 1 },
                  { timeUnixNano: ns(now), asDouble: 2 },
                  { asDouble: 3 },
                ],
              },
            },
          ],
        },
      ],
    })),
  };
  return {
    path: '/v1/metrics',
    resource: '/v1/metrics',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

describe('OTLP ingest against the local servers', () => {
  it('answers a repeated export from its first run and produces nothing more', async () => {
    // Prepare
    const { target, store, streamName } = await fresh();
    const handler = otlpHandler({ target, store, logger });
    const event = exportEvent(['web-1', 'web-2']);
    // Act
    const first = await handler(event);
    const again = await handler(event);
    // Assess
    expect(first.statusCode).toBe(200);
    expect(again).toEqual(first);
    expect(decodeExportResponse('metrics', 'json', Buffer.from(first.body))).toEqual({
      partialSuccess: {
        rejected: 2,
        errorMessage:
          '2 data point(s) rejected: 2 × time_unix_nano: occurred_at must be an ISO-8601 date-time or epoch milliseconds after 2000-01-01 (seconds are not accepted)',
      },
    });
    const all = await readAll(kinesisLocal.kinesis, streamName, registry);
    expect(all).toHaveLength(4);
    expect(new Set(all.map((e) => e.event.producer_id)).size).toBe(1);
    expect(all.map((e) => e.event.producer_id)[0]).toMatch(/^otlp:[0-9a-f]{16}$/);
  });

  it('answers 503 with Retry-After when a shard does not take its events in time; the retry counts once', async () => {
    // Prepare: web-1's entries are throttled while `down`
    let down = true;
    const flaky = faultyKinesis(kinesisLocal.kinesis, (_call, _i, entry) =>
      down && entry.PartitionKey === 'web-1' ? 'throttle' : 'ok',
    );
    const { target, store, streamName } = await fresh(flaky);
    const emf = captureEmf('otlp');
    const handler = otlpHandler({ target, store, logger, metrics: emf.metrics, functionName: 'pulse-test-otlp' });
    const shortLambda = { getRemainingTimeInMillis: () => 3_600 }; // 600 ms of work, 3 s kept back
    const event = exportEvent(['web-1', 'web-2']);
    // Act
    let failed: Awaited<ReturnType<typeof handler>>;
    let retried: Awaited<ReturnType<typeof handler>>;
    try {
      failed = await handler(event, shortLambda);
      down = false;
      retried = await handler(event, shortLambda);
    } finally {
      emf.restore();
    }
    // Assess: the answers
    expect([
      failed.statusCode,
      failed.headers?.['retry-after'],
      decodeStatus('json', Buffer.from(failed.body)),
    ]).toEqual([
      503,
      '2',
      {
        code: 14,
        message:
          'the stream did not take all events in time: retry the same export (its events keep their identities, so nothing counts twice)',
      },
    ]);
    expect(retried.statusCode).toBe(200);
    // Assess: web-2's events went twice, under the same identities: 4 identities
    const all = await readAll(kinesisLocal.kinesis, streamName, registry);
    expect(new Set(all.map((e) => `${e.event.producer_id}/${e.event.producer_seq}`)).size).toBe(4);
    // Assess: the EMF counts of each request, rejected points included
    const counts = emf
      .documents()
      .filter((d) => d[OTLP_EMF.signalDimension] === 'metrics')
      .map((d) => [
        d[OTLP_EMF.serverError],
        d[OTLP_EMF.itemsAccepted],
        d[OTLP_EMF.itemsRejected],
        d[OTLP_EMF.attributesDropped],
      ]);
    expect(counts).toEqual([
      [1, 0, 0, 0],
      [0, 4, 2, 0],
    ]);
  });

  it('answers a throttled or stopping local server with 429 / 503, Retry-After and a google.rpc.Status', async () => {
    // Prepare
    const { target, store } = await fresh();
    const handler = otlpHandler({ target, store, logger });
    let refusal: Parameters<typeof serveOtlp>[4];
    const server = createServer((req, res) => void serveOtlp(req, res, '/v1/metrics', handler, refusal));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`;
    const post = () =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(0) });
    try {
      // Act
      refusal = { statusCode: 429, message: 'too many requests', retryAfterSeconds: 1 };
      const throttled = await post();
      refusal = { statusCode: 503, message: 'pulse is stopping', retryAfterSeconds: 2 };
      const stopping = await post();
      refusal = undefined;
      const empty = await post();
      // Assess
      const answer = async (r: Response) => [
        r.status,
        r.headers.get('retry-after'),
        decodeStatus('protobuf', new Uint8Array(await r.arrayBuffer())),
      ];
      expect(await answer(throttled)).toEqual([429, '1', { code: 8, message: 'too many requests' }]);
      expect(await answer(stopping)).toEqual([503, '2', { code: 14, message: 'pulse is stopping' }]);
      expect([empty.status, (await empty.arrayBuffer()).byteLength]).toEqual([200, 0]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
