import type { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FleetSample, listedHostsEnv, publishFleet } from '#handlers/lib/fleet-metrics.js';
import { FLEET_HOST_LINE, MAX_FLEET_METRIC_HOSTS } from '#core/metrics/names.js';
import { captureEmf, dimensionsOf } from '#test/helpers/emf.js';

// Powertools warns about timestamps CloudWatch would drop: stay near the real clock.
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const MINUTE = NOW - 180_000;
const hostName = (i: number) => `server-${String(i).padStart(3, '0')}`;

/** `hosts` hosts, each with cpu = its number and memory = 50, in `minutes` minutes. */
function fleet(hosts: number, minutes = 1): FleetSample {
  const s = new FleetSample();
  for (let m = 0; m < minutes; m++)
    for (let h = 0; h < hosts; h++) {
      const minute = MINUTE + m * 60_000;
      s.add([
        { host: hostName(h), minute, metric: 'cpu_utilization', value: h },
        { host: hostName(h), minute, metric: 'memory_usage', value: 50 },
      ]);
    }
  return s;
}

function logger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const info = (message: string, fields: Record<string, unknown>) => lines.push({ message, ...fields });
  return { logger: { info } as unknown as Logger, lines };
}

describe('fleet metrics: publishing', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes per-host series for the listed hosts only: 3 listed of 10 hosts in 2 minutes make exactly 6 host documents', () => {
    // Prepare
    const emf = captureEmf();
    const log = logger();
    const listed = new Set([hostName(1), hostName(4), hostName(7)]);
    // Act
    const published = publishFleet(emf.metrics, log.logger, fleet(10, 2), {
      functionName: 'pulse-test-hot-path',
      listedHosts: listed,
      now: NOW,
    });
    emf.restore();
    // Assess
    const docs = emf.documents();
    const perHost = docs.filter((d) => 'host' in d);
    expect(published).toEqual({ distributionDocuments: 2, hostDocuments: 6, hostLines: 20 });
    expect(perHost).toHaveLength(6);
    expect(new Set(perHost.map((d) => d.host))).toEqual(listed);
    for (const d of perHost) {
      expect(dimensionsOf(d)).toEqual([['function_name', 'host', 'service']]);
      expect(d).toMatchObject({ memory_usage: 50, cpu_utilization: Number(String(d.host).slice(-3)) });
    }
    expect(docs.filter((d) => !('host' in d))).toHaveLength(2);
  });

  it('publishes no host dimension at all without a list, however many hosts', () => {
    // Prepare
    const emf = captureEmf();
    // Act
    publishFleet(emf.metrics, logger().logger, fleet(300), { functionName: 'f', listedHosts: new Set(), now: NOW });
    emf.restore();
    // Assess
    const docs = emf.documents();
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(dimensionsOf(d)).toEqual([['function_name', 'service']]);
  });

  it('puts one value per host in the distribution, 99 a document, every document with its dimensions and minute', () => {
    // Prepare: 250 hosts in one minute (Powertools would publish on its own at the 100th value and drop the dimensions)
    const emf = captureEmf();
    // Act
    const published = publishFleet(emf.metrics, logger().logger, fleet(250), {
      functionName: 'pulse-test-hot-path',
      listedHosts: new Set(),
      now: NOW,
    });
    emf.restore();
    // Assess
    const docs = emf.documents();
    expect(published.distributionDocuments).toBe(3);
    expect(docs.map((d) => (d.cpu_utilization as number[]).length)).toEqual([99, 99, 52]);
    expect(docs.flatMap((d) => d.cpu_utilization as number[]).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    for (const d of docs) {
      expect(d._aws.Timestamp).toBe(MINUTE);
      expect(d).toMatchObject({ service: 'hot-path', function_name: 'pulse-test-hot-path' });
      expect(d._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
        { Name: 'cpu_utilization', Unit: 'Percent' },
        { Name: 'memory_usage', Unit: 'Percent' },
      ]);
    }
  });

  it('averages a host in a minute and logs one line per host and minute with its averages', () => {
    // Prepare
    const emf = captureEmf();
    const log = logger();
    const s = new FleetSample();
    s.add([
      { host: 'a', minute: MINUTE, metric: 'cpu_utilization', value: 40 },
      { host: 'a', minute: MINUTE, metric: 'cpu_utilization', value: 60 },
      { host: 'a', minute: MINUTE, metric: 'network_in', value: 1 / 3 },
    ]);
    const other = new FleetSample();
    other.add([{ host: 'a', minute: MINUTE, metric: 'cpu_utilization', value: 80 }]);
    s.merge(other);
    // Act
    publishFleet(emf.metrics, log.logger, s, { functionName: undefined, listedHosts: new Set(['a']), now: NOW });
    emf.restore();
    // Assess
    expect(log.lines).toEqual([
      {
        message: FLEET_HOST_LINE,
        host: 'a',
        minute: new Date(MINUTE).toISOString(),
        cpu_utilization: 60,
        network_in: 0.33,
      },
    ]);
    const [host, distribution] = emf.documents();
    expect(host).toMatchObject({ host: 'a', cpu_utilization: 60, network_in: 0.33 });
    expect(distribution).toMatchObject({ cpu_utilization: 60, network_in: 0.33 });
    expect(dimensionsOf(distribution as never)).toEqual([['service']]); // no function name outside Lambda
  });

  it('skips minutes CloudWatch would drop (over 14 days old)', () => {
    // Prepare
    const emf = captureEmf();
    const log = logger();
    const s = new FleetSample();
    s.add([{ host: 'a', minute: NOW - 15 * 86_400_000, metric: 'cpu_utilization', value: 1 }]);
    // Act
    const published = publishFleet(emf.metrics, log.logger, s, {
      functionName: 'f',
      listedHosts: new Set(['a']),
      now: NOW,
    });
    emf.restore();
    // Assess
    expect(published).toEqual({ distributionDocuments: 0, hostDocuments: 0, hostLines: 0 });
    expect(emf.documents()).toEqual([]);
  });
});

describe('fleet metrics: the listed hosts', () => {
  it('reads a comma-separated list, trimmed; unset or empty is none', () => {
    expect([...listedHostsEnv({ L: ' db-1, db-2 ,' }, 'L')]).toEqual(['db-1', 'db-2']);
    expect(listedHostsEnv({}, 'L').size).toBe(0);
    expect(listedHostsEnv({ L: '' }, 'L').size).toBe(0);
  });

  it(`refuses more than ${MAX_FLEET_METRIC_HOSTS} hosts, naming the variable`, () => {
    const hosts = (n: number) => Array.from({ length: n }, (_, i) => hostName(i)).join(',');
    expect(listedHostsEnv({ L: hosts(MAX_FLEET_METRIC_HOSTS) }, 'L').size).toBe(MAX_FLEET_METRIC_HOSTS);
    expect(() => listedHostsEnv({ L: hosts(MAX_FLEET_METRIC_HOSTS + 1) }, 'L')).toThrow(
      'environment variable L lists 51 hosts: at most 50 get per-host metrics',
    );
  });
});
