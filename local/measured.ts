/**
 * `<data dir>/measured.json`: what one event cost a local run in requests and bytes, for
 * `pulse cost`. Local timings include the local servers' latency.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { writeFileAtomic } from '#core/atomic-write.js';
import { itemSizeBytes } from '#core/cost/item-size.js';
import type { Measured } from '#core/cost/model.js';
import type { ProducerCounters } from '#core/produce/producer.js';
import { isWindowItem } from '#core/projections/window-items.js';
import type { RunMeter } from './run-meter.js';
import type { LocalClients, LocalNames } from './servers.js';

/** The run whose costs are measured. */
export interface MeasuredRun {
  dataDir: string;
  hosts: number;
  shards: number;
  clients: LocalClients;
  names: LocalNames;
  producer: ProducerCounters;
  meter: RunMeter;
  /** Events counted in the finest windows. */
  windowed: number;
  /** Distinct events in the lake. */
  parquetRows: number;
  /** The lake's local copy (Parquet files under it are measured). */
  lakeDir: string;
}

/**
 * Writes measured.json (see the module comment); nothing when the run windowed, put or
 * delivered nothing (there is no cost per event to measure).
 */
export async function writeMeasured(run: MeasuredRun): Promise<void> {
  const { producer: p, windowed, parquetRows, lakeDir, meter } = run;
  if (windowed === 0 || p.recordsAccepted === 0 || parquetRows === 0) return;
  // 200 window items: enough for the mean size of an item.
  const sample = await run.clients.ddb.send(new ScanCommand({ TableName: run.names.windowTable, Limit: 200 }));
  const items = (sample.Items ?? []).filter(isWindowItem);
  const itemKb = items.reduce((n, i) => n + itemSizeBytes(i), 0) / Math.max(1, items.length) / 1_024;
  const parquetBytes = existsSync(lakeDir)
    ? readdirSync(lakeDir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.parquet'))
        .reduce((n, f) => n + statSync(join(lakeDir, f)).size, 0)
    : 0;
  const measured: Measured = {
    source: `pulse start on ${new Date().toISOString().slice(0, 10)}: ${windowed} events, ${run.hosts} hosts, ${run.shards} shards`,
    eventsPerRecord: p.eventsAccepted / p.recordsAccepted,
    streamBytesPerEvent: p.bytesAccepted / p.eventsAccepted,
    windowWritesPerEvent: meter.hot.windowsWritten / windowed,
    windowItemKb: itemKb,
    parquetBytesPerEvent: parquetBytes / parquetRows,
    hotPathMsPer1000: (meter.timing.hotPathMs / windowed) * 1_000,
    transformMsPer1000: (meter.timing.lakeMs / parquetRows) * 1_000,
  };
  writeFileAtomic(join(run.dataDir, 'measured.json'), `${JSON.stringify(measured, null, 2)}\n`);
}
