/**
 * The hot path's environment has one definition (core/windows/env-names.ts): the CDK app
 * sets exactly those variables on the function, and what it writes there is what the
 * handler's readers (windowingConfigFromEnv, booleanEnv, listedHostsEnv) read back as the
 * settings the app was given.
 */
import { describe, expect, it } from 'vitest';
import { booleanEnv } from '#core/config/env.js';
import { windowingConfigFromEnv } from '#core/windows/config.js';
import { HOT_PATH_ENV, WINDOWING_ENV } from '#core/windows/env-names.js';
import { listedHostsEnv } from '#handlers/lib/fleet-metrics.js';
import { configOf, type PulseSettings } from '#infra/config.js';
import { synthTemplate } from '#test/helpers/synth.js';

/** Variables every Pulse function has (infra/constructs/shared/pulse-function.ts), and Powertools' namespace. */
const NOT_HOT_PATH_SETTINGS = ['PULSE_SCHEMAS_DIR', 'NODE_OPTIONS', 'POWERTOOLS_METRICS_NAMESPACE'];

/** The environment of the synthesized hot-path function for `settings`. */
function hotPathEnvironment(settings: PulseSettings): Record<string, unknown> {
  const functions = synthTemplate(settings as Record<string, unknown>).findResources('AWS::Lambda::Function');
  const hotPath = Object.entries(functions).filter(([id]) => /^HotPathFunction[0-9A-F]{8}$/.test(id));
  expect(hotPath).toHaveLength(1);
  const [, resource] = hotPath[0] as [string, { Properties: { Environment: { Variables: Record<string, unknown> } } }];
  return resource.Properties.Environment.Variables;
}

describe('hot-path environment', () => {
  // Prepare: settings other than the defaults, so a variable written from the wrong setting shows
  const settings: PulseSettings = {
    windowSizesMs: '300000,60000',
    outOfOrdernessMs: '10000',
    allowedLatenessMs: '0',
    logCountsByHost: 'true',
    fleetMetricHosts: 'db-1,db-2',
  };
  const config = configOf(settings);

  // Act
  const variables = hotPathEnvironment(settings);

  it('holds exactly the names core defines, except producerMarkTtlMs, which is not a setting of the app', () => {
    // Assess
    const { producerMarkTtlMs, ...deployed } = WINDOWING_ENV;
    expect(Object.keys(variables).sort()).toEqual(
      [...Object.values(HOT_PATH_ENV), ...Object.values(deployed), ...NOT_HOT_PATH_SETTINGS].sort(),
    );
    expect(variables).not.toHaveProperty(producerMarkTtlMs);
  });

  it("gives the handler's readers back the settings the app was given", () => {
    // Assess: windowing, fleet switch and listed hosts, read as the Lambda reads them
    const literal = Object.fromEntries(
      Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    expect(windowingConfigFromEnv(literal)).toEqual(config.windowing);
    expect(booleanEnv(literal, HOT_PATH_ENV.fleetMetrics)).toBe(config.observability.fleetMetrics);
    expect([...listedHostsEnv(literal, HOT_PATH_ENV.fleetMetricHosts)]).toEqual(config.observability.fleetMetricHosts);
  });

  it('names the table and the stream it reads and writes (CloudFormation references)', () => {
    // Assess
    expect(variables[HOT_PATH_ENV.windowTable]).toEqual({ Ref: expect.stringMatching(/^WindowsTable/) });
    expect(variables[HOT_PATH_ENV.streamName]).toEqual({ Ref: expect.stringMatching(/^EventsStream/) });
  });
});
