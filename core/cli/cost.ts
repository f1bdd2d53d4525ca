/**
 * `pulse cost --events-per-second N`: the monthly AWS bill of a stage per component
 * and per million events, beside a per-event design, from the measurements of the
 * last local run on the data dir (or the committed reference run) and the dated
 * price list.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type CostLine, costReport, loadPrices, type Measured } from '../cost/model.js';
import { UsageError } from './args.js';
import { formatTable } from './format-table.js';

/** `pulse cost --help`. */
export const COST_HELP = `pulse cost --events-per-second N: the monthly AWS cost of a Pulse stage at a
steady N events/s, per component and per million events, beside a per-event design
(one PutItem and one JSON object per event). Requests and bytes per event come from
<data-dir>/measured.json, which every pulse start writes when it stops, else from the
reference run in core/cost/reference-measurements.json; prices from the dated list
core/cost/prices-2026-11.json (us-east-1).

Options:
  --events-per-second N  the steady rate (required)
  --data-dir D           where pulse start ran (default .data)
  --format table|json    table (default) or one JSON object
  --help                 this text`;

/** Prints the report; resolves with the exit code. */
export async function cost(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'events-per-second': { type: 'string' },
      'data-dir': { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(COST_HELP);
    return 0;
  }
  const raw = values['events-per-second'];
  const rate = Number(raw);
  if (raw === undefined || !(rate > 0) || !Number.isFinite(rate)) {
    throw new UsageError(`--events-per-second must be a positive number, got '${raw ?? ''}'`);
  }
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got '${format}'`);
  const local = join(values['data-dir'] ?? '.data', 'measured.json');
  const file = existsSync(local) ? local : new URL('../cost/reference-measurements.json', import.meta.url);
  const measured = JSON.parse(readFileSync(file, 'utf8')) as Measured;
  const report = costReport(rate, measured, loadPrices());
  if (format === 'json') {
    console.log(JSON.stringify(report));
    return 0;
  }
  const usd = (x: number) => `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}`;
  const rows = (lines: CostLine[]) =>
    lines.map((l) => ({
      component: l.component,
      monthly: usd(l.monthly),
      per_million_events: usd(l.perMillionEvents),
      basis: l.basis,
    }));
  const perMillion = (total: number) => usd((total / report.eventsPerMonth) * 1e6);
  console.log(`Pulse at ${rate} events/s (${(report.eventsPerMonth / 1e9).toFixed(2)} billion events a month)`);
  console.log(formatTable(rows(report.pulse)));
  console.log(`total ${usd(report.pulseTotal)} a month, ${perMillion(report.pulseTotal)} per million events\n`);
  console.log('A per-event design (one PutItem and one JSON object per event)');
  console.log(formatTable(rows(report.perEvent)));
  console.log(`total ${usd(report.perEventTotal)} a month, ${perMillion(report.perEventTotal)} per million events\n`);
  console.log(
    `Pulse costs ${(report.pulseTotal / report.perEventTotal).toFixed(3)}x the per-event design. Prices as of ${report.pricesAsOf}; measurements: ${measured.source}`,
  );
  return 0;
}
