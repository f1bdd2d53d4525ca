import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { startKinesisServer } from '#local/kinesis-server.js';
import { createStream } from '#local/streams.js';
import { type HostReading, HostAgent, readThisHost } from '#core/sources/host-agent.js';
import { readAll } from '#test/helpers/local-kinesis.js';

const registry = SchemaRegistry.load();
const reading = (i: number): HostReading => ({
  cpu_utilization: 10 + i,
  memory_usage: 50,
  disk_usage: 30,
  network_in: 1.5,
  network_out: 0.5,
});
const until = async (ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setTimeout(r, 20));
};

describe('host agent', () => {
  it('reads this machine: five figures within their ranges', async () => {
    // Act
    await readThisHost();
    const r = await readThisHost();

    // Assess
    expect(Object.keys(r).sort()).toEqual([
      'cpu_utilization',
      'disk_usage',
      'memory_usage',
      'network_in',
      'network_out',
    ]);
    for (const k of ['cpu_utilization', 'memory_usage', 'disk_usage'] as const) {
      expect(r[k]).toBeGreaterThanOrEqual(0);
      expect(r[k]).toBeLessThanOrEqual(100);
    }
    expect(r.memory_usage).toBeGreaterThan(0);
    expect(r.network_in).toBeGreaterThanOrEqual(0);
  });

  it('survives a stream outage: buffers within its bound, says when it drops, and loses nothing else', async () => {
    // Prepare: kinesalite on disk, so it can be stopped and started again on the same port.
    const path = mkdtempSync(join(tmpdir(), 'pulse-agent-'));
    let server = await startKinesisServer({ path });
    const port = Number(new URL(server.endpoint).port);
    const kinesis = createKinesisClient({ endpoint: server.endpoint });
    await createStream(kinesis, 'agent', 1);
    const said: string[] = [];
    let i = 0;
    const agent = await HostAgent.create({
      target: { kinesis, streamName: 'agent', registry },
      host: 'laptop-1',
      intervalMs: 100,
      maxBufferedEvents: 20,
      reader: async () => reading(i++),
      log: (line) => said.push(line),
      baseBackoffMs: 20,
      maxBackoffMs: 100,
    });

    // Act: one reading while up, an outage long enough to fill the buffer, then recovery.
    await agent.collectOnce();
    await until(() => agent.stats().produced === 5);
    await server.stop();
    for (let k = 0; k < 6; k++) await agent.collectOnce();
    const duringOutage = agent.stats();
    server = await startKinesisServer({ path, port });
    await until(() => agent.stats().buffered === 0);
    await agent.collectOnce();
    const final = await agent.stop();
    await server.stop();

    // Assess
    expect(duringOutage).toMatchObject({ collected: 35, produced: 5, buffered: 20, dropped: 10 });
    expect(final).toMatchObject({ collected: 40, produced: 30, dropped: 10, buffered: 0 });
    expect(said).toEqual([
      'the stream is not taking events and the buffer is full (20 samples): dropping new samples until it recovers',
      'the stream is taking events again; 10 samples were dropped in all',
    ]);
    const restarted = createKinesisClient({ endpoint: `http://127.0.0.1:${port}` });
    server = await startKinesisServer({ path, port });
    const got = await readAll(restarted, 'agent', registry);
    await server.stop();
    expect(got).toHaveLength(30);
    expect(got.map((e) => e.event.producer_seq)).toEqual(Array.from({ length: 30 }, (_, k) => k + 1));
    expect(got.every((e) => (e.event as { host: string; source: string }).source === 'agent')).toBe(true);
    // The dropped readings are the 6th and 7th (cpu 15 and 16); every other reading arrived whole.
    const cpu = got.filter((e) => (e.event as { metric: string }).metric === 'cpu_utilization');
    expect(cpu.map((e) => (e.event as { value: number }).value)).toEqual([10, 11, 12, 13, 14, 17]);
  });

  it('abandons at once with the stream gone: a reading in progress puts nothing and throws nothing, stop() does not wait', async () => {
    // Prepare: a stream that stopped answering, and a reading that ends after abandon()
    const server = await startKinesisServer();
    const kinesis = createKinesisClient({ endpoint: server.endpoint });
    await createStream(kinesis, 'gone', 1);
    let finishReading: ((r: HostReading) => void) | undefined;
    const agent = await HostAgent.create({
      target: { kinesis, streamName: 'gone', registry },
      host: 'laptop-1',
      intervalMs: 60_000,
      reader: () => new Promise((r) => (finishReading = r)),
      baseBackoffMs: 60_000,
    });
    await server.stop();
    agent.start();
    await until(() => finishReading !== undefined);

    // Act
    agent.abandon();
    finishReading?.(reading(0));
    const final = await agent.stop();

    // Assess: nothing put, nothing thrown (the closed producer refused the reading), nothing waited for
    expect(final).toMatchObject({ collected: 5, produced: 0, buffered: 0 });
  });
});
