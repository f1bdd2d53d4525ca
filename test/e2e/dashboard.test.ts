import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '../../core/contract/registry.js';
import { LocalPipeline } from '../../core/local/pipeline.js';

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

describe('dashboard in a real headless Chromium', () => {
  it('renders live charts with data for every metric and the pipeline health', async () => {
    // Prepare: a running pipeline with its dashboard
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-dash-'));
    const pipeline = await LocalPipeline.create({
      registry: SchemaRegistry.load(),
      dataDir,
      hosts: 5,
      rate: 20_000,
      maxEvents: 3_000,
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
    try {
      pipeline.run();
      await pipeline.producerDone();
      // Act
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(pipeline.dashboardUrl as string);
      await page.waitForFunction(
        () => {
          const charts = [...document.querySelectorAll<HTMLElement>('.chart')];
          return charts.length === 10 && charts.every((c) => Number(c.dataset.points) > 0 && c.querySelector('canvas'));
        },
        undefined,
        { timeout: 30_000 },
      );
      await page.waitForFunction(
        () =>
          Number(document.querySelector('[data-tile="produced"] b')?.textContent) >= 3_000 &&
          Number(document.querySelector('[data-tile="windowsWritten"] b')?.textContent) > 0,
        undefined,
        { timeout: 30_000 },
      );
      await page.screenshot({ path: 'docs/dashboard.png', fullPage: true });
      // Assess
      const points = await page.$$eval('.chart', (els) =>
        els.map((e) => [e.querySelector('h3')?.textContent, Number((e as HTMLElement).dataset.points)]),
      );
      expect(points.map(([title]) => title)).toEqual([
        'cpu_utilization (avg)',
        'memory_usage (avg)',
        'disk_usage (avg)',
        'network_in (avg)',
        'network_out (avg)',
        'cpu_utilization (p95)',
        'memory_usage (p95)',
        'disk_usage (p95)',
        'network_in (p95)',
        'network_out (p95)',
      ]);
      for (const [, n] of points) expect(n).toBeGreaterThanOrEqual(5); // one window per host at least
      const windowsWritten = await page.$eval('[data-tile="windowsWritten"] b', (e) => Number(e.textContent));
      expect(windowsWritten).toBeGreaterThan(0);
    } finally {
      await browser.close();
      await pipeline.stop();
      await pipeline.close();
    }
  });
});
