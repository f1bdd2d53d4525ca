/**
 * The host agent (`pulse collect`): reads the real CPU, memory, disk and network
 * figures of the machine it runs on (systeminformation) at an interval and
 * produces them as the five standard metrics.
 *
 * A stream outage does not stop collection: the producer keeps retrying with
 * backoff (without a retry limit) while samples wait in its buffer. The buffer is
 * bounded in events; when it is full, new samples are dropped, counted and said
 * (once when dropping starts, once when it stops), never silently.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import si from 'systeminformation';
import { Producer } from '#core/produce/producer.js';
import type { EventBody } from '#core/contract/events.js';
import type { StreamTarget } from './emit.js';

/** One reading of the machine, in the units of the standard metrics. */
export interface HostReading {
  /** CPU busy since the previous reading, percent. */
  cpu_utilization: number;
  /** Memory in use (total minus available), percent. */
  memory_usage: number;
  /** Use of the root file system, percent. */
  disk_usage: number;
  /** Received over all non-loopback interfaces, megabits per second. */
  network_in: number;
  /** Sent over all non-loopback interfaces, megabits per second. */
  network_out: number;
}

/** Reads the machine. */
export type HostReader = () => Promise<HostReading>;

const UNITS: Record<keyof HostReading, string> = {
  cpu_utilization: 'percent',
  memory_usage: 'percent',
  disk_usage: 'percent',
  network_in: 'mbps',
  network_out: 'mbps',
};

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Reads this machine through systeminformation. Rates (CPU, network) are since
 * the previous call; the first call reports 0 for the network.
 */
export const readThisHost: HostReader = async () => {
  const [load, mem, disks, nets] = await Promise.all([si.currentLoad(), si.mem(), si.fsSize(), si.networkStats('*')]);
  const root = disks.find((d) => d.mount === '/') ?? disks[0];
  let rx = 0;
  let tx = 0;
  for (const n of nets) {
    if (n.iface === 'lo') continue;
    rx += Math.max(0, n.rx_sec ?? 0);
    tx += Math.max(0, n.tx_sec ?? 0);
  }
  return {
    cpu_utilization: round2(load.currentLoad),
    memory_usage: round2(((mem.total - mem.available) / mem.total) * 100),
    disk_usage: round2(root?.use ?? 0),
    network_in: round2((rx * 8) / 1e6),
    network_out: round2((tx * 8) / 1e6),
  };
};

/** Settings of a {@link HostAgent}. */
export interface HostAgentOptions {
  target: StreamTarget;
  /** Time between readings (default 10 s). */
  intervalMs?: number;
  /** Host label (default: this machine's hostname). */
  host?: string;
  /** Region label (default `AWS_REGION`, else `local`). */
  region?: string;
  /** Environment label (default `development`). */
  environment?: string;
  /** Samples waiting for the stream before new ones are dropped (default 100,000: 55 h at 10 s). */
  maxBufferedEvents?: number;
  /** What reads the machine (default {@link readThisHost}; tests pass their own). */
  reader?: HostReader;
  /** Says what the agent does (default: nothing). */
  log?: (line: string) => void;
  /** Producer backoff settings (tests shorten them). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Counters of a {@link HostAgent}. */
export interface HostAgentStats {
  /** Samples read from the machine. */
  collected: number;
  /** Samples the stream accepted. */
  produced: number;
  /** Samples dropped because the buffer was full. */
  dropped: number;
  /** Samples waiting for the stream. */
  buffered: number;
  /** Readings that failed (the machine could not be read). */
  readErrors: number;
}

/** See the module comment. */
export class HostAgent {
  private timer: NodeJS.Timeout | undefined;
  private collected = 0;
  private dropped = 0;
  private readErrors = 0;
  private dropping = false;
  private running: Promise<void> = Promise.resolve();
  private readonly o: Required<Omit<HostAgentOptions, 'target' | 'log'>> & Pick<HostAgentOptions, 'log'>;

  private constructor(
    private readonly producer: Producer,
    options: HostAgentOptions,
  ) {
    this.o = {
      intervalMs: 10_000,
      host: hostname(),
      region: process.env.AWS_REGION ?? 'local',
      environment: 'development',
      maxBufferedEvents: 100_000,
      reader: readThisHost,
      baseBackoffMs: 100,
      maxBackoffMs: 5_000,
      ...options,
    };
    if (!(this.o.intervalMs >= 100)) throw new Error(`interval must be at least 100 ms, got ${this.o.intervalMs}`);
  }

  /** Connects to the stream (lists its shards) and returns a stopped agent. */
  static async create(options: HostAgentOptions): Promise<HostAgent> {
    const producer = await Producer.create({
      ...options.target,
      producerId: `agent:${randomUUID()}`,
      // Retry without limit: the bound is the agent's buffer, not a retry count.
      maxAttempts: Number.POSITIVE_INFINITY,
      // Room for the sample bound (about 200 bytes a sample), so put() never waits on it.
      maxBufferedBytes: Math.max(32 * 1_048_576, (options.maxBufferedEvents ?? 100_000) * 1_024),
      baseBackoffMs: options.baseBackoffMs ?? 100,
      maxBackoffMs: options.maxBackoffMs ?? 5_000,
    });
    return new HostAgent(producer, options);
  }

  /** The producer id of this agent's events (one per process start). */
  get producerId(): string {
    return this.producer.producerId;
  }

  /** Counters so far. */
  stats(): HostAgentStats {
    const p = this.producer.stats();
    return {
      collected: this.collected,
      produced: p.eventsAccepted,
      dropped: this.dropped,
      buffered: p.eventsPut - p.eventsAccepted - p.eventsDropped,
      readErrors: this.readErrors,
    };
  }

  /** Takes one reading now and queues its samples. */
  async collectOnce(at = new Date()): Promise<void> {
    let reading: HostReading;
    try {
      reading = await this.o.reader();
    } catch (error) {
      this.readErrors++;
      this.o.log?.(`could not read this machine: ${(error as Error).message}`);
      return;
    }
    const names = Object.keys(UNITS) as (keyof HostReading)[];
    this.collected += names.length;
    if (this.stats().buffered + names.length > this.o.maxBufferedEvents) {
      this.dropped += names.length;
      if (!this.dropping) {
        this.dropping = true;
        this.o.log?.(
          `the stream is not taking events and the buffer is full (${this.o.maxBufferedEvents} samples): dropping new samples until it recovers`,
        );
      }
      return;
    }
    if (this.dropping) {
      this.dropping = false;
      this.o.log?.(`the stream is taking events again; ${this.dropped} samples were dropped in all`);
    }
    for (const metric of names) {
      const body: EventBody<'MetricSample'> = {
        occurred_at: at,
        host: this.o.host,
        metric,
        value: reading[metric],
        unit: UNITS[metric],
        region: this.o.region,
        environment: this.o.environment,
        tags: {},
        source: 'agent',
      };
      // Never waits: the bound above keeps the producer's byte buffer far from full.
      await this.producer.put('MetricSample', body);
    }
  }

  /** Reads at every interval until {@link stop}. */
  start(): void {
    const tick = () => {
      this.running = this.running.then(() => this.collectOnce());
      this.timer = setTimeout(tick, this.o.intervalMs);
    };
    tick();
  }

  /**
   * Stops reading and gives up on the samples not yet in the stream, at once (the stream is
   * gone or the process is giving up; {@link stop} would wait out the producer's retries).
   */
  abandon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.producer.abandon();
    // a reading in progress ends in the closed producer's error: nothing is put, nothing thrown
    this.running = this.running.catch(() => {});
  }

  /** Stops reading and waits until every buffered sample is in the stream. */
  async stop(): Promise<HostAgentStats> {
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.producer.close();
    return this.stats();
  }
}
