import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * Set on import by a dependency, not by cli/: Powertools commons tags the SDK's user agent
 * (`@aws-lambda-powertools/commons`, reached through local/ → handlers/).
 */
const SET_BY_DEPENDENCIES = ['AWS_SDK_UA_APP_ID'];

/** `process.env` without the variables dependencies set on import. */
const ownEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !SET_BY_DEPENDENCIES.includes(k)));

/** Every TypeScript module under cli/, as paths relative to it (commands/start.ts, main.ts, …). */
const CLI_MODULES = readdirSync(resolve('cli'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .sort();

describe('cli modules run nothing on import (main() runs only from bin/pulse.mjs)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('importing every cli module prints nothing, sets no exit code, changes no environment and adds no signal handler', async () => {
    // Prepare
    const writes = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')];
    const consoles = (['log', 'info', 'warn', 'error'] as const).map((m) => vi.spyOn(console, m));
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    // pulse.ts used to set this on import; vitest.config.ts sets it for every test, so unset it here.
    vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', undefined);
    const env = ownEnv();
    const exitCode = process.exitCode;
    const sigint = process.listenerCount('SIGINT');

    // Act
    for (const file of CLI_MODULES) await import(resolve('cli', file));

    // Assess
    expect(CLI_MODULES).toEqual(expect.arrayContaining(['main.ts', 'commands/start.ts', 'commands/status.ts']));
    for (const spy of [...writes, ...consoles, exit]) expect(spy).not.toHaveBeenCalled();
    expect(process.exitCode).toBe(exitCode);
    expect(ownEnv()).toEqual(env);
    expect(process.listenerCount('SIGINT')).toBe(sigint);
  });
});
