import { describe, expect, it } from 'vitest';
import { booleanEnv, EnvError, parseBoolean } from '#core/config/env.js';

describe('parseBoolean: the one reading of a boolean setting', () => {
  it.each([
    [true, true],
    ['true', true],
    [false, false],
    ['false', false],
  ])('reads %j as %j', (raw, expected) => {
    // Act / Assess
    expect(parseBoolean(raw)).toBe(expected);
  });

  it.each([
    [undefined],
    [null],
    [''],
    ['1'],
    ['0'],
    ['yes'],
    ['no'],
    ['TRUE'],
    ['False'],
    [' true'],
    ['true '],
    [1],
    [0],
  ])('refuses %j (undefined, not a guess)', (raw) => {
    // Act / Assess
    expect(parseBoolean(raw)).toBeUndefined();
  });
});

describe('booleanEnv', () => {
  it('is undefined when the variable is unset or empty', () => {
    // Act / Assess
    expect(booleanEnv({}, 'PULSE_FLAG')).toBeUndefined();
    expect(booleanEnv({ PULSE_FLAG: '' }, 'PULSE_FLAG')).toBeUndefined();
  });

  it.each([
    ['true', true],
    ['false', false],
  ])('reads %s', (raw, expected) => {
    // Act / Assess
    expect(booleanEnv({ PULSE_FLAG: raw }, 'PULSE_FLAG')).toBe(expected);
  });

  it.each([['1'], ['yes'], ['TRUE'], [' true']])('refuses %j with an EnvError naming the variable', (raw) => {
    // Prepare
    const read = () => booleanEnv({ PULSE_FLAG: raw }, 'PULSE_FLAG');

    // Act / Assess
    expect(read).toThrow(EnvError);
    expect(read).toThrow(`environment variable PULSE_FLAG must be true or false, got '${raw}'`);
  });
});
