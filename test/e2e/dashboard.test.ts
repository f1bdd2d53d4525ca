import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import type { FleetView } from '#local/dashboard/fleet-view.js';
import { LocalPipeline } from '#local/pipeline.js';

/** Debian's Chromium (installed by .ci/run); the flags keep it off the closed network. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const HOSTS = 1_000;
/** Event time advances 10 s per tick of the fleet: 170 s, 3 or 4 one-minute windows per host. */
const TICKS = 18;
/** Five metrics and one log line per host and tick. */
const EVENTS = HOSTS * 6 * TICKS;
const METRICS = ['cpu_utilization', 'memory_usage', 'disk_usage', 'network_in', 'network_out'];
const PICKED = 'server-420';
/** README's picture: written when UPDATE_SCREENSHOT=1, else to the temp dir (a test run leaves the tree clean). */
const SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1' ? 'docs/dashboard.png' : join(tmpdir(), 'pulse-dashboard.png');

interface ChartState {
  id: string;
  title: string | undefined;
  mode: string | undefined;
  host: string | undefined;
  hosts: number;
  bands: number;
  top: number;
  series: number;
  points: number;
  canvas: boolean;
}

describe('dashboard in a real headless Chromium', () => {
  it(
    `draws ${HOSTS} hosts as percentile bands and top hosts, and one host on demand`,
    { timeout: 300_000 },
    async () => {
      // Prepare: a running pipeline with its dashboard, every event windowed
      const dataDir = mkdtempSync(join(tmpdir(), 'pulse-dash-'));
      const pipeline = await LocalPipeline.create({
        registry: SchemaRegistry.load(),
        dataDir,
        hosts: HOSTS,
        rate: 30_000,
        maxEvents: EVENTS,
        shards: 2,
        // live charts within the test's seconds: every batch writes (the default holds a minute)
        flushIntervalSeconds: 0,
        dashboardPort: 0,
      });
      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        headless: true,
        args: CHROMIUM_ARGS,
      });
      const problems: string[] = [];
      try {
        pipeline.run();
        await pipeline.producerDone();
        const produced = pipeline.health().produced;
        while ((await pipeline.reader.countWindowed(60_000)).events < produced) {
          await new Promise((r) => setTimeout(r, 1_000));
        }
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(`console: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
        page.on('response', (r) => {
          if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
        });
        const charts = () =>
          page.$$eval('.chart', (els) =>
            els.map((e) => {
              const d = (e as HTMLElement).dataset;
              return {
                id: e.id,
                title: e.querySelector('h3')?.textContent ?? undefined,
                mode: d.mode,
                host: d.host,
                hosts: Number(d.hosts),
                bands: Number(d.bands),
                top: Number(d.top),
                series: Number(d.series),
                points: Number(d.points),
                canvas: e.querySelector('canvas') !== null,
              } satisfies ChartState;
            }),
          );

        // Act: the fleet
        await page.goto(pipeline.dashboardUrl as string);
        await page.waitForFunction(
          (hosts) => {
            const els = [...document.querySelectorAll<HTMLElement>('.chart')];
            return (
              els.length === 10 &&
              els.every((c) => Number(c.dataset.hosts) === hosts && Number(c.dataset.points) >= 3) &&
              Number(document.querySelector<HTMLElement>('[data-tile="produced"]')?.dataset.value) > 0
            );
          },
          HOSTS,
          { timeout: 60_000 },
        );
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
        const fleet = await charts();
        const tiles = await page.$$eval('[data-tile]', (els) =>
          Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.tile, e.querySelector('b')?.textContent])),
        );
        const options = await page.$$eval('#hosts option', (els) => els.length);
        const api = await page.evaluate(async () => (await fetch('/api/fleet?metric=cpu_utilization&stat=p95')).json());

        // Act: one host
        await page.fill('#host', PICKED);
        await page.waitForFunction(
          (host) =>
            [...document.querySelectorAll<HTMLElement>('.chart')].every(
              (c) => c.dataset.mode === 'host' && c.dataset.host === host && Number(c.dataset.points) >= 3,
            ),
          PICKED,
          { timeout: 30_000 },
        );
        const picked = await charts();
        const hostApi = await page.evaluate(
          async (host) => (await fetch(`/api/host?host=${host}&metric=memory_usage&stat=avg`)).json(),
          PICKED,
        );
        await page.click('#all-hosts');
        await page.waitForFunction(() =>
          [...document.querySelectorAll<HTMLElement>('.chart')].every((c) => c.dataset.mode === 'fleet'),
        );

        // Assess: every chart draws the four bands and five hosts over 1,000 hosts' windows
        expect(fleet.map((c) => c.title)).toEqual(
          METRICS.flatMap((m) => [`${m} · avg per host`, `${m} · p95 per host`]),
        );
        for (const c of fleet) {
          expect(c).toMatchObject({ mode: 'fleet', hosts: HOSTS, bands: 4, top: 5, series: 9, canvas: true });
        }
        // the API sends percentiles per window and five hosts' series, not a thousand
        const view = api as FleetView;
        expect(view.hosts).toBe(HOSTS);
        expect(view.top).toHaveLength(5);
        expect(Object.keys(view).sort()).toEqual(
          ['hosts', 'max', 'metric', 'min', 'p50', 'p95', 'reporting', 'starts', 'stat', 'top'].sort(),
        );
        view.starts.forEach((_, i) => {
          expect(view.reporting[i]).toBeLessThanOrEqual(HOSTS);
          const [min, p50, p95, max] = [view.min[i], view.p50[i], view.p95[i], view.max[i]] as [
            number,
            number,
            number,
            number,
          ];
          expect(min <= p50 && p50 <= p95 && p95 <= max).toBe(true);
        });
        expect(options).toBe(HOSTS);
        // the health the reader needs: everything is windowed (backlog 0); no ingest API runs and
        // data loss is measured at the stop, so those SLIs are null: "—"
        expect(tiles).toMatchObject({
          produced: produced.toLocaleString('en-US'),
          backlogEvents: '0',
          late: '0',
          quarantined: '0',
          ingestAvailability: '—',
          ingestP95Ms: '—',
          dataLossRatio: '—',
        });
        for (const key of ['eventsPerS', 'freshnessP95Ms', 'lagMs', 'windowsWritten', 'parquetRows']) {
          expect(tiles[key], key).toMatch(/^[\d,.]+( ms| s| min| h|\/s)?$/);
        }
        // the picker puts one host's series on every chart, against the fleet's bands
        for (const c of picked) expect(c).toMatchObject({ mode: 'host', host: PICKED, bands: 4, top: 0, series: 5 });
        const series = await pipeline.reader.series({
          metric: 'memory_usage',
          host: PICKED,
          sizeMs: 60_000,
          from: Date.now() - 3_600_000,
          to: Date.now() + 60_000,
        });
        expect(hostApi).toEqual({
          host: PICKED,
          metric: 'memory_usage',
          stat: 'avg',
          starts: series.map((w) => w.start),
          values: series.map((w) => w.avg),
        });
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
        await pipeline.stop();
        await pipeline.close();
      }
    },
  );
});
