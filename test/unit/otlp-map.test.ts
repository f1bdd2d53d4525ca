import { describe, expect, it } from 'vitest';
import { invalidHistogram } from '#core/contract/histogram.js';
import { LABEL_LIMITS } from '#core/sources/input.js';
import { explicitBuckets, exponentialBound } from '#core/sources/otlp/exponential-histogram.js';
import { partialSuccessOf } from '#core/sources/otlp/map.js';
import { levelOf, mapLogs } from '#core/sources/otlp/map-logs.js';
import { mapMetrics, pulseMetricName, pulseUnit } from '#core/sources/otlp/map-metrics.js';
import { decodeExportRequest } from '#core/sources/otlp/wire.js';

const now = Date.now();
const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** An OTLP/JSON metrics request (the JSON mapping), decoded as the server decodes it. */
function metricsRequest(resource: object[], metrics: object[]) {
  const body = { resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ metrics }] }] };
  return decodeExportRequest('metrics', 'json', Buffer.from(JSON.stringify(body)));
}

function logsRequest(resource: object[], logRecords: object[]) {
  const body = { resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ logRecords }] }] };
  return decodeExportRequest('logs', 'json', Buffer.from(JSON.stringify(body)));
}

describe('exponential histograms in explicit buckets', () => {
  it('places each bucket at base^i to base^(i+1), base = 2^(2^-scale)', () => {
    expect(exponentialBound(0, 3)).toBe(8);
    expect(exponentialBound(1, 1)).toBeCloseTo(Math.SQRT2, 15);
    expect(exponentialBound(-1, 1)).toBe(4);
  });

  it('matches hand-computed bounds: scale 1, zero bucket [0,0], positive offset -1', () => {
    // Prepare: base √2; positive buckets i = -1, 0, 1: (√2^-1, 1], (1, √2], (√2, 2]
    const h = {
      scale: 1,
      zeroCount: 4,
      zeroThreshold: 0,
      positive: { offset: -1, counts: [1, 2, 3] },
      negative: { offset: 0, counts: [] },
    };
    // Act
    const out = explicitBuckets(h);
    // Assess: (-inf, 0] holds the zeros, (0, 1/√2] is the gap, then the three buckets, then (2, +inf)
    expect(out.counts).toEqual([4, 0, 1, 2, 3, 0]);
    expect(out.bounds).toHaveLength(5);
    [0, Math.SQRT1_2, 1, Math.SQRT2, 2].forEach((b, i) => expect(out.bounds[i]).toBeCloseTo(b, 12));
  });

  it('mirrors negative buckets and keeps a zero threshold as its own bucket', () => {
    // Prepare: scale 0 (base 2); negative i = 0, 1: [-2, -1), [-4, -2); zero bucket [-0.5, 0.5]; positive i = 0: (1, 2]
    const h = {
      scale: 0,
      zeroCount: 2,
      zeroThreshold: 0.5,
      positive: { offset: 0, counts: [7] },
      negative: { offset: 0, counts: [5, 6] },
    };
    // Act
    const out = explicitBuckets(h);
    // Assess: ascending: (-inf,-4] 0, (-4,-2] 6, (-2,-1] 5, (-1,-0.5] gap, (-0.5,0.5] 2, (0.5,1] gap, (1,2] 7, (2,inf) 0
    expect(out).toEqual({ bounds: [-4, -2, -1, -0.5, 0.5, 1, 2], counts: [0, 6, 5, 0, 2, 0, 7, 0] });
  });

  it('keeps every observation whatever the scale, offsets and zero bucket', () => {
    for (const [scale, pOff, nOff, zc, zt] of [
      [3, -10, 4, 0, 0],
      [-2, 0, 0, 5, 0],
      [8, 1000, -1000, 1, 1e-9],
      [0, 2, 2, 3, 1],
    ] as const) {
      const h = {
        scale,
        zeroCount: zc,
        zeroThreshold: zt,
        positive: { offset: pOff, counts: [1, 0, 2, 3] },
        negative: { offset: nOff, counts: [4, 5] },
      };
      const out = explicitBuckets(h);
      const total = 1 + 2 + 3 + 4 + 5 + zc;
      expect(out.counts.reduce((a, b) => a + b, 0)).toBe(total);
      const histogram = {
        count: total,
        sum: null,
        min: null,
        max: null,
        bucket_bounds: out.bounds,
        bucket_counts: out.counts,
      };
      expect(invalidHistogram(histogram, 0)).toBeUndefined();
    }
  });
});

describe('OTLP metrics as MetricSamples', () => {
  it('names, units and severities in Pulse terms', () => {
    expect(pulseMetricName('http.server.requestDuration')).toBe('http_server_request_duration');
    expect(pulseMetricName('system.cpu.utilization')).toBe('system_cpu_utilization');
    expect(pulseMetricName('process..runtime--heap')).toBe('process_runtime_heap');
    expect([
      pulseUnit('By'),
      pulseUnit('%'),
      pulseUnit('{request}'),
      pulseUnit(''),
      pulseUnit('ms'),
      pulseUnit('s'),
    ]).toEqual(['bytes', 'percent', 'count', '1', 'ms', 's']);
    expect([
      levelOf(1, ''),
      levelOf(9, 'x'),
      levelOf(13, ''),
      levelOf(17, ''),
      levelOf(21, ''),
      levelOf(0, 'Warning'),
    ]).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'WARN']);
    expect([levelOf(0, 'CRITICAL'), levelOf(0, 'error2'), levelOf(0, ''), levelOf(0, 'nonsense')]).toEqual([
      'FATAL',
      'ERROR',
      'INFO',
      'INFO',
    ]);
  });

  it('maps a gauge and a cumulative sum with the resource fields and labels', () => {
    // Prepare
    const request = metricsRequest(
      [str('host.name', 'web-1'), str('cloud.region', 'eu-west-1'), str('service.name', 'api')],
      [
        { name: 'queue.depth', unit: '', gauge: { dataPoints: [{ timeUnixNano: ns(now), asDouble: 1.5 }] } },
        {
          name: 'http.requests',
          unit: '{request}',
          sum: {
            aggregationTemporality: 2,
            isMonotonic: true,
            dataPoints: [
              {
                startTimeUnixNano: ns(now - 60_000),
                timeUnixNano: ns(now),
                asInt: '12',
                attributes: [str('route', '/a'), { key: 'ok', value: { boolValue: true } }],
              },
            ],
          },
        },
      ],
    );
    // Act
    const out = mapMetrics(request);
    // Assess
    expect(out.rejected).toBe(0);
    expect(out.events.map((e) => e.body)).toEqual([
      {
        occurred_at: new Date(now),
        host: 'web-1',
        metric: 'queue_depth',
        value: 1.5,
        unit: '1',
        region: 'eu-west-1',
        environment: 'unknown',
        tags: { 'service.name': 'api' },
        source: 'otlp',
      },
      {
        occurred_at: new Date(now),
        host: 'web-1',
        metric: 'http_requests',
        value: 12,
        unit: 'count',
        region: 'eu-west-1',
        environment: 'unknown',
        tags: {
          route: '/a',
          ok: 'true',
          'service.name': 'api',
          'otel.temporality': 'cumulative',
          'otel.start_time': String(now - 60_000),
        },
        source: 'otlp',
      },
    ]);
  });

  it('takes the host from host.name, else service.instance.id, else host.id; none rejects every point', () => {
    const gauge = {
      name: 'g',
      gauge: {
        dataPoints: [
          { timeUnixNano: ns(now), asDouble: 1 },
          { timeUnixNano: ns(now), asDouble: 2 },
        ],
      },
    };
    const hostOf = (attrs: object[]) => mapMetrics(metricsRequest(attrs, [gauge])).events[0]?.body.host;
    expect(hostOf([str('host.id', 'i-1'), str('service.instance.id', 'pod-1'), str('host.name', 'web-1')])).toBe(
      'web-1',
    );
    expect(hostOf([str('host.id', 'i-1'), str('service.instance.id', 'pod-1')])).toBe('pod-1');
    expect(hostOf([str('host.id', 'i-1')])).toBe('i-1');
    const none = mapMetrics(metricsRequest([str('service.name', 'api')], [gauge]));
    expect([none.events.length, none.rejected]).toEqual([0, 2]);
    expect(partialSuccessOf(none, 'data point').errorMessage).toBe(
      "2 data point(s) rejected: 2 × the resource names no host: set host.name, or service.instance.id, or host.id (the Collector's resourcedetection processor sets host.name)",
    );
  });

  it('rejects what cannot be an event, each counted with its reason, and keeps the rest', () => {
    // Prepare
    const request = metricsRequest(
      [str('host.name', 'web#1')],
      [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(now), asDouble: 1 }] } }],
    );
    const mixed = metricsRequest(
      [str('host.name', 'web-1')],
      [
        {
          name: 'g',
          gauge: {
            dataPoints: [
              { timeUnixNano: ns(now), asDouble: 1 },
              { timeUnixNano: ns(now + 3_600_000), asDouble: 1 },
              { timeUnixNano: '0', asDouble: 1 },
              { timeUnixNano: ns(now), asDouble: 1, flags: 1 },
              { timeUnixNano: ns(now) },
            ],
          },
        },
        { name: '9lives', gauge: { dataPoints: [{ timeUnixNano: ns(now), asDouble: 1 }] } },
        { name: 's', summary: { dataPoints: [{ timeUnixNano: ns(now) }, { timeUnixNano: ns(now) }] } },
      ],
    );
    // Act
    const bad = mapMetrics(request);
    const out = mapMetrics(mixed);
    // Assess
    expect([bad.events.length, bad.rejected, [...bad.reasons.keys()]]).toEqual([
      0,
      1,
      ["resource host: host must not contain '#'"],
    ]);
    expect([out.events.length, out.rejected]).toEqual([1, 7]);
    expect(Object.fromEntries(out.reasons)).toEqual({
      "time_unix_nano: occurred_at is more than 5 minutes in the future: check the sender's clock": 1,
      'time_unix_nano: occurred_at must be an ISO-8601 date-time or epoch milliseconds after 2000-01-01 (seconds are not accepted)': 1,
      'flags: the data point has no recorded value (FLAG_NO_RECORDED_VALUE)': 1,
      'value: the data point has neither as_double nor as_int': 1,
      'metric name: metric must be snake_case (a-z, 0-9, _), 1-64 characters': 1,
      'metric type: Summary data points are not supported: export histograms instead': 2,
    });
  });

  it('keeps labels within the limits, the point’s own first, and names what it left out', () => {
    // Prepare: 60 resource attributes, 2 of the point's own, one key and one value too long
    const resource = [str('host.name', 'web-1')];
    for (let i = 0; i < 60; i++) resource.push(str(`r${String(i).padStart(2, '0')}`, 'x'));
    const own = [str('route', '/a'), str('k'.repeat(65), 'v'), str('long', 'v'.repeat(257))];
    const request = metricsRequest(resource, [
      { name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(now), asDouble: 1, attributes: own }] } },
    ]);
    // Act
    const out = mapMetrics(request);
    // Assess
    const tags = (out.events[0]?.body as { tags: Record<string, string> }).tags;
    expect(Object.keys(tags)).toHaveLength(LABEL_LIMITS.maxEntries);
    expect(tags.route).toBe('/a');
    expect([tags.r48, tags.r49]).toEqual(['x', undefined]);
    // 2 of the point's (too long) + 11 resource attributes past the 50th
    expect([out.rejected, out.dropped.count]).toEqual([0, 13]);
    expect(partialSuccessOf(out, 'data point')).toEqual({
      rejected: 0,
      errorMessage: `13 attribute(s) left out of their events, beyond the label limits (50 per event, keys of 1-64 characters, values up to 256): ${'k'.repeat(61)}..., long, r49, r50, r51, r52, r53, r54, r55, r56, ...`,
    });
  });

  it('maps explicit and exponential histograms: value the mean, the histogram as recorded', () => {
    // Prepare
    const request = metricsRequest(
      [str('host.name', 'web-1')],
      [
        {
          name: 'latency',
          unit: 'ms',
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [
              {
                timeUnixNano: ns(now),
                count: '4',
                sum: 326,
                min: 1,
                max: 300,
                explicitBounds: [10, 100],
                bucketCounts: ['2', '1', '1'],
              },
            ],
          },
        },
        {
          name: 'size',
          exponentialHistogram: {
            aggregationTemporality: 2,
            dataPoints: [
              {
                startTimeUnixNano: ns(now - 1000),
                timeUnixNano: ns(now),
                count: '3',
                scale: 0,
                zeroCount: '1',
                positive: { offset: 1, bucketCounts: ['2'] },
              },
            ],
          },
        },
        {
          name: 'broken',
          histogram: {
            dataPoints: [{ timeUnixNano: ns(now), count: '5', sum: 1, explicitBounds: [1], bucketCounts: ['1', '1'] }],
          },
        },
      ],
    );
    // Act
    const out = mapMetrics(request);
    // Assess
    expect(out.events.map((e) => e.body)).toMatchObject([
      {
        metric: 'latency',
        value: 81.5,
        tags: { 'otel.temporality': 'delta' },
        histogram: { count: 4, sum: 326, min: 1, max: 300, bucket_bounds: [10, 100], bucket_counts: [2, 1, 1] },
      },
      {
        metric: 'size',
        tags: { 'otel.temporality': 'cumulative', 'otel.start_time': String(now - 1000) },
        // zero bucket [0,0] as (-inf, 0]; positive index 1 of base 2: (2, 4]
        histogram: { count: 3, sum: null, min: null, max: null, bucket_bounds: [0, 2, 4], bucket_counts: [1, 0, 2, 0] },
      },
    ]);
    // Without a sum, value is the estimated mean of the bucket representatives
    expect((out.events[1]?.body as { value: number }).value).toBeGreaterThan(0);
    expect(Object.fromEntries(out.reasons)).toEqual({ 'histogram.bucket_counts must add up to histogram.count': 1 });
  });
});

describe('OTLP log records as LogEvents', () => {
  it('maps severity, service, body and ids; a structured body as JSON', () => {
    // Prepare
    const request = logsRequest(
      [str('host.name', 'web-1'), str('service.name', 'checkout'), str('deployment.environment', 'prod')],
      [
        {
          timeUnixNano: ns(now),
          severityNumber: 17,
          severityText: 'Error',
          body: { kvlistValue: { values: [{ key: 'code', value: { intValue: '42' } }] } },
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          attributes: [str('user', 'u1')],
        },
        { observedTimeUnixNano: ns(now), severityText: 'notice', body: { stringValue: 'hi' } },
        { timeUnixNano: ns(now) },
      ],
    );
    // Act
    const out = mapLogs(request);
    // Assess
    expect(out.rejected).toBe(0);
    expect(out.events.map((e) => e.body)).toEqual([
      {
        occurred_at: new Date(now),
        host: 'web-1',
        service: 'checkout',
        level: 'ERROR',
        message: '{"code":42}',
        region: 'unknown',
        environment: 'prod',
        attributes: { user: 'u1', trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' },
      },
      {
        occurred_at: new Date(now),
        host: 'web-1',
        service: 'checkout',
        level: 'INFO',
        message: 'hi',
        region: 'unknown',
        environment: 'prod',
        attributes: { 'otel.severity_text': 'notice' },
      },
      {
        occurred_at: new Date(now),
        host: 'web-1',
        service: 'checkout',
        level: 'INFO',
        message: '(empty)',
        region: 'unknown',
        environment: 'prod',
        attributes: {},
      },
    ]);
  });

  it('rejects a record without any time, and a resource without a host, counted', () => {
    const out = mapLogs(logsRequest([str('host.name', 'web-1')], [{ body: { stringValue: 'x' } }]));
    expect(Object.fromEntries(out.reasons)).toEqual({ 'time_unix_nano: occurred_at is required': 1 });
    const none = mapLogs(logsRequest([], [{ timeUnixNano: ns(now) }, { timeUnixNano: ns(now) }]));
    expect([none.events.length, none.rejected]).toEqual([0, 2]);
  });
});
