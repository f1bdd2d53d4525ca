import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EARLIEST_EVENT_TIME_MS, validateBatch, validateInput } from '#core/sources/input.js';

const metric = {
  occurred_at: '2026-11-22T10:00:00Z',
  host: 'web-1',
  metric: 'cpu_utilization',
  value: 42.5,
  unit: 'percent',
  region: 'eu-west-1',
  environment: 'production',
};
const log = {
  type: 'LogEvent',
  occurred_at: 1_795_000_000_000,
  host: 'web-1',
  service: 'checkout',
  level: 'ERROR',
  message: 'payment declined',
  region: 'eu-west-1',
  environment: 'production',
  attributes: { trace_id: 'abc' },
};

describe('validateInput', () => {
  it('turns a metric into a producer body, type defaulting to MetricSample and source set', () => {
    // Act
    const r = validateInput({ ...metric, tags: { team: 'core' } }, 0, 'ingest-api');

    // Assess
    expect(r).toEqual({
      type: 'MetricSample',
      body: {
        ...metric,
        occurred_at: new Date('2026-11-22T10:00:00Z'),
        tags: { team: 'core' },
        source: 'ingest-api',
      },
    });
  });

  it('turns a log line into a producer body, accepting epoch milliseconds', () => {
    // Act
    const r = validateInput(log, 3, 'file-drop');

    // Assess
    expect(r).toEqual({
      type: 'LogEvent',
      body: { ...log, type: undefined, occurred_at: new Date(1_795_000_000_000) },
    });
  });

  it('accepts numbers given as strings (CSV cells)', () => {
    // Act
    const r = validateInput({ ...metric, value: '12.5', occurred_at: '1795000000000' }, 0, 'file-drop');

    // Assess
    expect(r).toMatchObject({ body: { value: 12.5, occurred_at: new Date(1_795_000_000_000) } });
  });

  it.each([
    [{ ...metric, host: undefined }, 'host', 'host is required'],
    [{ ...metric, host: 7 }, 'host', 'host must be a string'],
    [{ ...metric, value: 'high' }, 'value', 'value must be a number'],
    [{ ...metric, value: 1e-9 }, 'value', 'value must be 0 or between 1e-6 and 1e15 in magnitude'],
    [{ ...metric, metric: 'CPU Load' }, 'metric', 'metric must be snake_case (a-z, 0-9, _), 1-64 characters'],
    [{ ...metric, host: 'a#b' }, 'host', "host must not contain '#'"],
    [
      { ...metric, occurred_at: 1_795_000_000 },
      'occurred_at',
      'occurred_at must be an ISO-8601 date-time or epoch milliseconds after 2000-01-01 (seconds are not accepted)',
    ],
    [
      { ...metric, occurred_at: 'yesterday' },
      'occurred_at',
      'occurred_at must be an ISO-8601 date-time with a zone (2026-11-22T10:00:00Z) or epoch milliseconds',
    ],
    [
      { ...metric, occurred_at: '2026-11-22T10:00:00' },
      'occurred_at',
      'occurred_at must be an ISO-8601 date-time with a zone (2026-11-22T10:00:00Z) or epoch milliseconds',
    ],
    [
      { ...metric, occurred_at: Date.now() + 3_600_000 },
      'occurred_at',
      "occurred_at is more than 5 minutes in the future: check the sender's clock",
    ],
    [
      { ...metric, tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) },
      'tags',
      'tags may have at most 50 entries',
    ],
    [{ ...metric, tags: { k: 'v'.repeat(257) } }, 'tags.k', 'tags.k must be at most 256 characters'],
    [{ ...metric, tags: ['a'] }, 'tags', 'tags must be an object of strings'],
    [{ ...metric, tags: { n: 1 } }, 'tags.n', 'tags.n must be a string'],
    [{ ...metric, type: 'Trace' }, 'type', 'type must be one of MetricSample, LogEvent'],
    [{ ...log, level: 'LOUD' }, 'level', 'level must be one of DEBUG, INFO, WARN, ERROR, FATAL'],
    [{ ...log, message: '' }, 'message', 'message must be 1-65536 characters'],
    ['text', 'event', 'each event must be a JSON object'],
    [null, 'event', 'each event must be a JSON object'],
  ])('rejects %j at field %s', (item, field, reason) => {
    // Act
    const r = validateInput(item, 4, 'ingest-api');

    // Assess
    expect(r).toEqual({ index: 4, field, reason });
  });
});

describe('validateBatch', () => {
  it('accounts for every item exactly once, keeping indexes', () => {
    // Prepare
    const items = [metric, { ...metric, value: 'x' }, log, 5];

    // Act
    const out = validateBatch(items, 'ingest-api');

    // Assess
    expect(out.events.map((e) => e.index)).toEqual([0, 2]);
    expect(out.errors.map((e) => [e.index, e.field])).toEqual([
      [1, 'value'],
      [3, 'event'],
    ]);
  });
});

describe('input errors', () => {
  it('never repeat the rejected value (it may be user data)', () => {
    // Every generated value carries the mark '§', which no reason contains on its own. (Field
    // paths name map keys, `tags.<key>`: the sender needs them to find the entry.)
    fc.assert(
      fc.property(
        fc.constantFrom('host', 'metric', 'value', 'unit', 'occurred_at', 'region', 'tags', 'type', 'message'),
        fc.oneof(
          fc.string().map((x) => `§${x}`),
          fc.string().map((x) => `§${x}${'y'.repeat(300)}`),
          fc.string().map((x) => ({ k: `§${x}`, n: 1 })),
          fc.string().map((x) => [`§${x}`]),
        ),
        (field, bad) => {
          const r = validateInput({ ...metric, [field]: bad }, 0, 'ingest-api');
          expect('reason' in r ? r.reason : '').not.toContain('§');
        },
      ),
    );
  });
});

describe('earliest event time', () => {
  it('accepts 2000-01-01T00:00:00Z and refuses the millisecond before (the lake projection starts in 2000)', () => {
    // Prepare
    const at = (occurred_at: number) => ({
      occurred_at,
      host: 'h',
      metric: 'cpu_utilization',
      value: 1,
      unit: 'percent',
      region: 'r',
      environment: 'e',
    });

    // Act
    const first = validateInput(at(EARLIEST_EVENT_TIME_MS), 0, 'ingest-api');
    const before = validateInput(at(EARLIEST_EVENT_TIME_MS - 1), 0, 'ingest-api');

    // Assess
    expect([EARLIEST_EVENT_TIME_MS, 'reason' in first, 'reason' in before]).toEqual([
      Date.UTC(2000, 0, 1),
      false,
      true,
    ]);
  });
});
