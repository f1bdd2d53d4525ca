import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { configOf } from '#infra/config.js';
import { ConfigError } from '#infra/context-values.js';
import { acknowledge } from '#infra/defaults.js';
import { InfraError } from '#infra/errors.js';

describe('infra errors', () => {
  it('refuses a cdk-nag reason that answers another rule, with an InfraError that says which reason to use', () => {
    // Prepare
    const stack = new Stack(new App(), 'Scratch');

    // Act
    const act = () => acknowledge(stack, 'AwsSolutions-S1', 'apiWaf');

    // Assess
    expect(act).toThrow(InfraError);
    expect(act).toThrow(
      "reason 'apiWaf' does not answer AwsSolutions-S1: use a NAG_REASONS entry that starts with 'AwsSolutions-S1: '",
    );
  });

  it('reports an invalid setting as a ConfigError, which is an InfraError naming the key', () => {
    // Act
    let error: unknown;
    try {
      configOf({ retentionHours: '12' });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).name).toBe('ConfigError');
    expect((error as Error).message).toBe(`context 'retentionHours' must be an integer from 24 to 8760, got "12"`);
  });
});
