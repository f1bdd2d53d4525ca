/**
 * `pulse cost --fleet <hosts>x<metrics>/<interval>`: the monthly AWS bill of a deployed
 * stage for that fleet, per component and per million events, beside the seed design's on
 * the same fleet, from the committed reference figures (or a local run's, when asked for)
 * and the dated price list.
 */
import { parseArgs } from 'node:util';
import type { Bill } from '#core/cost/bill.js';
import { FLEET_SHAPE_FORM, type FleetShape, FleetShapeError, parseFleetShape } from '#core/cost/fleet-shape.js';
import { type CostReport, costReport, loadPrices } from '#core/cost/model.js';
import {
  chooseShape,
  loadReference,
  localRunFigures,
  MeasuredFileError,
  readMeasured,
  type ShapeChoice,
} from '#core/cost/reference.js';
import { MINIMAL_STAGE } from '#core/cost/stage.js';
import { outputFormat, UsageError } from '#cli/args.js';
import type { Command } from '#cli/command.js';
import { formatTable } from '#cli/format-table.js';

const HELP = `pulse cost --fleet <hosts>x<metrics>/<interval>: the monthly AWS bill of a deployed
Pulse stage for a steady fleet (hosts each sending metrics every interval), every
component on its own line with how it was computed, per million events; beside it the
seed design (a scheduled Lambda writing one DynamoDB item per sample and one JSON file
per run) on the same fleet, and the ratio. Also: the total if Firehose rounds every
de-aggregated event up to 5 KB, what the fixed costs are, and a minimal stage.

Figures per event come from core/cost/reference-fleet.json (bench:fleet, bench:lake,
bench:seed-baseline; re-measure with npm run bench:cost-reference): the measured
shape nearest to the fleet, named in the output (exact, or an approximation). Prices:
core/cost/prices-2026-11.json (us-east-1, copied by hand: check before quoting).
docs/cost.md explains every line.

Options:
  --fleet H x M / I           e.g. 10000x20/10s, 10x5/5m, 10x5/0.05s (interval in s, m or h)
  --events-per-second N       instead of --fleet: hosts of 5 metrics every 10 s (<2N>x5/10s)
  --measured D                price with the figures of the local run in D/measured.json
                              (pulse start writes it) instead of the reference
  --ingest-share S            share of events through the HTTP ingest API, 0-1 (default 0.1)
  --ingest-events-per-request N
                              events per ingest request (default: the fleet's metrics)
  --fleet-metric-hosts N      hosts with per-host CloudWatch fleet metrics (default 0: off)
  --format table|json         table (default) or one JSON object
  --help                      this text`;

/** A number flag within [min, max], or `fallback`. @throws UsageError naming the flag */
function numberFlag(name: string, raw: string | undefined, fallback: number, min: number, max = Infinity): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    const range = max === Infinity ? `≥ ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`--${name} must be a number ${range}, got '${raw}'`);
  }
  return n;
}

/** The fleet the options describe. @throws UsageError */
export function fleetFromOptions(fleet: string | undefined, rate: string | undefined): FleetShape {
  if (fleet !== undefined && rate !== undefined) {
    throw new UsageError('give --fleet or --events-per-second, not both');
  }
  if (fleet !== undefined) {
    try {
      return parseFleetShape(fleet);
    } catch (e) {
      if (e instanceof FleetShapeError) throw new UsageError(`--fleet must be ${FLEET_SHAPE_FORM}, got '${fleet}'`);
      throw e;
    }
  }
  if (rate === undefined) {
    throw new UsageError(`give --fleet ${FLEET_SHAPE_FORM.split(',')[0]}, or --events-per-second N`);
  }
  const n = numberFlag('events-per-second', rate, 0, Number.MIN_VALUE);
  // Hosts of 5 metrics every 10 s (shape B's layout): 2 hosts per event a second.
  return { hosts: Math.max(1, Math.round(2 * n)), metrics: 5, intervalSeconds: 10 };
}

/** Prints the report; resolves with the exit code. */
async function cost(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      fleet: { type: 'string' },
      'events-per-second': { type: 'string' },
      measured: { type: 'string' },
      'ingest-share': { type: 'string' },
      'ingest-events-per-request': { type: 'string' },
      'fleet-metric-hosts': { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const fleet = fleetFromOptions(values.fleet, values['events-per-second']);
  const format = outputFormat(values.format);
  const ingestShare = numberFlag('ingest-share', values['ingest-share'], 0.1, 0, 1);
  const perRequest = numberFlag('ingest-events-per-request', values['ingest-events-per-request'], fleet.metrics, 1);
  const fleetMetricHosts = numberFlag('fleet-metric-hosts', values['fleet-metric-hosts'], 0, 0);
  if (!Number.isInteger(fleetMetricHosts)) {
    throw new UsageError(`--fleet-metric-hosts must be a whole number ≥ 0, got '${values['fleet-metric-hosts']}'`);
  }

  const reference = loadReference();
  let choice: ShapeChoice = chooseShape(fleet, reference.shapes);
  let measurements = `core/cost/reference-fleet.json, measured ${reference.measured_on} at ${reference.commit} (${reference.machine})`;
  if (values.measured !== undefined) {
    try {
      choice = localRunFigures(readMeasured(values.measured), choice).choice;
    } catch (e) {
      if (e instanceof MeasuredFileError) throw new UsageError(`--measured: ${e.message}`);
      throw e;
    }
    measurements = `${values.measured}/measured.json (a local run), the rest from ${measurements}`;
  }
  const report = costReport(
    {
      fleet,
      choice,
      seed: reference.seed_baseline,
      prices: loadPrices(),
      fleetMetricHosts,
      ingestShare,
      ingestEventsPerRequest: perRequest,
    },
    { minimalStage: MINIMAL_STAGE },
  );
  report.measurements = measurements;
  if (format === 'json') console.log(JSON.stringify(report));
  else console.log(costTable(report));
  return 0;
}

/** A dollar amount for the table: cents, or four significant decimals below a dollar. */
function money(x: number): string {
  if (x === 0) return '$0';
  if (x >= 1) return `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `$${x.toPrecision(3)}`;
}

function billTable(b: Bill): string {
  return formatTable(
    b.components.map((c) => ({
      component: c.name,
      monthly: money(c.monthly_usd),
      per_million_events: money(c.per_million_usd),
    })),
  );
}

function basisList(b: Bill): string {
  return b.components.map((c) => `- ${c.name}: ${c.basis}`).join('\n');
}

/** The report as text: both bills with their basis, the readings, the ratio, notes. */
export function costTable(r: CostReport): string {
  const per = r.firehose_readings.per_event;
  const out = [
    `Pulse for the fleet ${r.fleet}: ${r.events_per_second.toLocaleString('en-US')} events/s, ${(r.events_per_month / 1e6).toLocaleString('en-US', { maximumFractionDigits: 1 })} million events a month`,
    `Figures: ${r.shape_used.note}`,
    billTable(r),
    `total ${money(r.total_monthly_usd)} a month, ${money(r.total_per_million_usd)} per million events (Firehose rounds each aggregated record up to 5 KB)`,
    `      ${money(per.total_monthly_usd)} a month, ${money(per.total_per_million_usd)} per million events if Firehose rounds each de-aggregated event up to 5 KB`,
    `fixed costs ${money(r.fixed_monthly_usd)} a month: ${r.fixed_costs.map((f) => `${f.name} ${money(f.monthly_usd)}`).join(', ')}`,
    '',
    'Seed design on the same fleet (baseline)',
    billTable(r.baseline),
    `total ${money(r.baseline.total_monthly_usd)} a month, ${money(r.baseline.total_per_million_usd)} per million events`,
    '',
    r.baseline_ratio >= 1
      ? `Pulse costs ${(1 / r.baseline_ratio).toFixed(3)}x the baseline: the baseline is ${r.baseline_ratio.toFixed(1)}x Pulse.`
      : `Pulse costs ${(1 / r.baseline_ratio).toFixed(1)}x the baseline at this size: its fixed costs (${money(r.fixed_monthly_usd)} a month) are more than the baseline's whole bill.`,
  ];
  if (r.minimal_stage) {
    out.push(
      `A minimal stage (${r.minimal_stage.settings}): ${money(r.minimal_stage.total_monthly_usd)} a month, ${money(r.minimal_stage.total_per_million_usd)} per million events, ${(r.minimal_stage.total_monthly_usd / r.baseline.total_monthly_usd).toFixed(2)}x the baseline.`,
    );
  }
  for (const w of r.warnings) out.push(`Warning: ${w}.`);
  out.push('', 'How each line was computed (Pulse):', basisList(r), '', 'Baseline:', basisList(r.baseline));
  out.push(`Baseline assumptions: ${r.baseline.assumptions.join('; ')}.`);
  out.push(
    '',
    `Prices as of ${r.prices_as_of} (us-east-1, copied by hand: check before quoting). Measurements: ${r.measurements}. docs/cost.md explains the model.`,
  );
  return out.join('\n');
}

/** `pulse cost`: the monthly bill of a stage for a fleet, beside the seed design's. */
export const costCommand: Command = {
  name: 'cost',
  usage: `  pulse cost --fleet 10000x20/10s
                            monthly AWS bill of a stage per component, beside the seed design`,
  help: HELP,
  run: cost,
};
