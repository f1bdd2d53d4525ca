/**
 * The local dashboard: one page with live charts (uPlot, served from node_modules,
 * no CDN) and a small JSON API over the read API of the windows and the pipeline's
 * health counters. Fleet charts get percentiles across hosts and a few hosts' lines
 * (fleet-view.ts), so what the browser receives is bounded by the number of windows,
 * not of hosts.
 *
 * | route | answer |
 * |---|---|
 * | `/api/health` | the pipeline's health, as its `health()` returns it |
 * | `/api/fleet?metric=M&stat=S` | {@link FleetView} of statistic S (default avg) of each host's windows of M |
 * | `/api/host?host=H&metric=M&stat=S` | `{host, metric, stat, starts, values}`: one host's series |
 * | `/api/hosts` | `{hosts}`: every host with a window in the range, in host order |
 */
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WindowReader, WindowView } from '#core/projections/window-reader.js';
import { type LocalServer, listenLocal } from '#local/kinesis-server.js';
import { FleetSnapshots } from './fleet-snapshot.js';
import { fleetView } from './fleet-view.js';

const require = createRequire(import.meta.url);

/** What the dashboard shows besides the windows (fields it does not know are shown as "—"). */
export type HealthSource = () => Promise<Record<string, unknown>>;

/** The statistics of a host's window a chart can show. */
export const WINDOW_STATS = ['avg', 'p50', 'p95', 'p99', 'min', 'max', 'last'] as const;
/** One of {@link WINDOW_STATS}. */
export type WindowStat = (typeof WINDOW_STATS)[number];

/** Windows the charts cover: the last hour of one-minute windows by default. */
const WINDOWS_SHOWN = 60;
/** Hosts drawn as lines on a fleet chart: a legend still read at a glance. */
const DEFAULT_TOP_HOSTS = 5;

/** A request the API cannot answer as asked (answered 400 with the message). */
export class DashboardRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DashboardRequestError';
  }
}

/** Starts the dashboard on 127.0.0.1 (port 0: any free port). @throws naming a port in use */
export async function startDashboard(options: {
  reader: WindowReader;
  health: HealthSource;
  port: number;
  windowMs?: number;
  /** Hosts drawn as lines on each fleet chart (default 5). */
  topHosts?: number;
}): Promise<LocalServer> {
  const page = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'page.html'));
  const uplot = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const assets: Record<string, [string, Buffer]> = {
    '/assets/uPlot.iife.min.js': ['text/javascript', readFileSync(join(uplot, 'uPlot.iife.min.js'))],
    '/assets/uPlot.min.css': ['text/css', readFileSync(join(uplot, 'uPlot.min.css'))],
  };
  const sizeMs = options.windowMs ?? 60_000;
  const topHosts = options.topHosts ?? DEFAULT_TOP_HOSTS;
  const range = () => {
    // to: past the window that holds now, so the current (filling) window shows
    const to = Date.now() + sizeMs;
    return { sizeMs, from: to - WINDOWS_SHOWN * sizeMs, to };
  };
  const fleet = new FleetSnapshots(() => options.reader.metricsAcrossHosts(range()));
  const api: Record<string, (q: URLSearchParams) => Promise<unknown>> = {
    '/api/health': () => options.health(),
    '/api/fleet': async (q) => {
      const metric = required(q, 'metric');
      const stat = statParam(q);
      const windows = (await fleet.get()).byMetric.get(metric) ?? [];
      return {
        metric,
        stat,
        ...fleetView(
          windows.map((w) => ({ host: w.host, start: w.start, value: w[stat] })),
          { top: topHosts },
        ),
      };
    },
    '/api/host': async (q) => {
      const host = required(q, 'host');
      const metric = required(q, 'metric');
      const stat = statParam(q);
      const windows = await options.reader.series({ ...range(), metric, host });
      return { host, metric, stat, starts: windows.map((w) => w.start), values: windows.map((w) => w[stat]) };
    },
    '/api/hosts': async () => ({ hosts: (await fleet.get()).hosts }),
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const handler = api[url.pathname];
      try {
        if (url.pathname === '/') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
        } else if (assets[url.pathname]) {
          const [type, body] = assets[url.pathname] as [string, Buffer];
          res.writeHead(200, { 'content-type': type, 'cache-control': 'max-age=3600' }).end(body);
        } else if (handler) {
          json(res, 200, await handler(url.searchParams));
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        }
      } catch (error) {
        const status = error instanceof DashboardRequestError ? 400 : 500;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(`dashboard error: ${(error as Error).message}`);
      }
    })();
  });
  return listenLocal(server, options.port);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function required(q: URLSearchParams, name: string): string {
  const value = q.get(name);
  if (!value) throw new DashboardRequestError(`${name}= is required (e.g. ${name}=${EXAMPLES[name] ?? '…'})`);
  return value;
}

const EXAMPLES: Record<string, string> = { metric: 'cpu_utilization', host: 'server-001' };

function statParam(q: URLSearchParams): WindowStat & keyof WindowView {
  const stat = q.get('stat') ?? 'avg';
  if (!(WINDOW_STATS as readonly string[]).includes(stat)) {
    throw new DashboardRequestError(`stat must be one of ${WINDOW_STATS.join(', ')}; got '${stat}'`);
  }
  return stat as WindowStat;
}
