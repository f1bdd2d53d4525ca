/**
 * A fleet shape: `hosts` each sending `metrics` samples every `intervalSeconds`, written
 * `<hosts>x<metrics>/<interval>` (`10000x20/10s`, `10x5/5m`, `10x5/0.05s`), the form
 * `bench:fleet` names its shapes by and `pulse cost --fleet` takes.
 */

/** A fleet of `hosts` agents, each sending `metrics` samples every `intervalSeconds`. */
export interface FleetShape {
  hosts: number;
  metrics: number;
  intervalSeconds: number;
}

/** A fleet shape that cannot be read. */
export class FleetShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetShapeError';
  }
}

/** The expected form, as error messages name it. */
export const FLEET_SHAPE_FORM =
  '<hosts>x<metrics>/<interval>, e.g. 10000x20/10s or 10x5/5m (whole hosts and metrics ≥ 1; interval > 0 in s, m or h)';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600 } as const;

/**
 * Reads `<hosts>x<metrics>/<interval>`; the interval needs its unit (`s`, `m` or `h`).
 * @throws FleetShapeError naming the expected form
 */
export function parseFleetShape(text: string): FleetShape {
  const m = /^([1-9]\d*)x([1-9]\d*)\/(\d+(?:\.\d+)?)([smh])$/.exec(text.trim());
  const interval = m ? Number(m[3]) * UNIT_SECONDS[m[4] as keyof typeof UNIT_SECONDS] : 0;
  if (!m || !(interval > 0)) throw new FleetShapeError(`a fleet shape is ${FLEET_SHAPE_FORM}; got '${text}'`);
  return { hosts: Number(m[1]), metrics: Number(m[2]), intervalSeconds: interval };
}

/** `hosts`x`metrics`/`interval`s, the form {@link parseFleetShape} reads. */
export function formatFleetShape(s: FleetShape): string {
  return `${s.hosts}x${s.metrics}/${s.intervalSeconds}s`;
}

/** Events a second the fleet sends. */
export function eventsPerSecond(s: FleetShape): number {
  return (s.hosts * s.metrics) / s.intervalSeconds;
}

/** Samples one host sends a minute: how sparse each host's series are. */
export function eventsPerHostMinute(s: FleetShape): number {
  return (s.metrics * 60) / s.intervalSeconds;
}
