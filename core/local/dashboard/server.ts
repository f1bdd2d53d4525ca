/**
 * The local dashboard: one page with live charts (uPlot, served from node_modules,
 * no CDN) and a small JSON API over the read API of the windows and the pipeline's
 * health counters.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WindowReader } from '../../projections/window-reader.js';
import { type LocalServer, listenLocal } from '../kinesis-server.js';

const require = createRequire(import.meta.url);

/** What the dashboard shows besides the windows. */
export type HealthSource = () => Promise<Record<string, number>>;

/** Starts the dashboard on 127.0.0.1 (port 0: any free port). @throws naming a port in use */
export async function startDashboard(options: {
  reader: WindowReader;
  health: HealthSource;
  port: number;
  windowMs?: number;
}): Promise<LocalServer> {
  const page = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'page.html'));
  const uplot = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const assets: Record<string, [string, Buffer]> = {
    '/assets/uPlot.iife.min.js': ['text/javascript', readFileSync(join(uplot, 'uPlot.iife.min.js'))],
    '/assets/uPlot.min.css': ['text/css', readFileSync(join(uplot, 'uPlot.min.css'))],
  };
  const size = options.windowMs ?? 60_000;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      try {
        if (url.pathname === '/') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
        } else if (assets[url.pathname]) {
          const [type, body] = assets[url.pathname] as [string, Buffer];
          res.writeHead(200, { 'content-type': type, 'cache-control': 'max-age=3600' }).end(body);
        } else if (url.pathname === '/api/health') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await options.health()));
        } else if (url.pathname === '/api/series') {
          const metric = url.searchParams.get('metric') ?? 'cpu_utilization';
          const to = Date.now() + 60_000;
          const from = to - 60 * size;
          const windows = await options.reader.metricAcrossHosts({ metric, sizeMs: size, from, to });
          const rows = windows.map((w) => ({
            host: w.host,
            start: w.start,
            avg: w.avg,
            p95: w.p95,
            count: w.count,
            final: w.final,
          }));
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows));
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        }
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`dashboard error: ${(error as Error).message}`);
      }
    })();
  });
  return listenLocal(server, options.port);
}
