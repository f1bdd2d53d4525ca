/**
 * Readers of single CDK context values (`-c key=value`), each checking its value and
 * throwing a {@link ConfigError} that names the key and what it accepts. infra/config.ts
 * reads the settings with them.
 */
import { parseBoolean } from '#core/config/env.js';
import { MAX_FLEET_METRIC_HOSTS, MAX_FLEET_METRIC_HOSTS_CHARS } from '#core/metrics/names.js';
import { InfraError } from './errors.js';

/** A context value is missing or wrong: the message names the key and what it accepts. */
export class ConfigError extends InfraError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `raw` as an integer from `min` to `max` (context gives strings). @throws ConfigError naming `key` */
export function int(key: string, raw: unknown, min: number, max: number): number {
  const n = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`context '${key}' must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Reads the integer setting `key` (or `fallback`) and checks it is within [min, max]. */
export function integerSetting<Key extends string>(get: (key: Key) => unknown) {
  return (key: Key, fallback: number, min: number, max: number): number => int(key, get(key) ?? fallback, min, max);
}

/** `raw` as an EventBridge schedule expression (`rate(…)`, `cron(…)`). @throws ConfigError naming `key` */
export function schedule(key: string, raw: unknown): string {
  if (typeof raw !== 'string' || !/^(rate|cron)\(.+\)$/.test(raw.trim())) {
    throw new ConfigError(
      `context '${key}' must be an EventBridge schedule expression such as 'rate(5 minutes)' or 'cron(0/5 * * * ? *)', got ${JSON.stringify(raw)}`,
    );
  }
  return raw.trim();
}

/** `raw` as a boolean: `true` or `false`, from cdk.json or the command line. @throws ConfigError naming `key` */
export function bool(key: string, raw: unknown): boolean {
  const b = parseBoolean(raw);
  if (b !== undefined) return b;
  throw new ConfigError(`context '${key}' must be true or false, got ${JSON.stringify(raw)}`);
}

/** Consumer names: lower-case letters, digits, dashes; the stream holds 20 enhanced fan-out consumers. */
const CONSUMER_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * `raw` as the names of external enhanced fan-out consumers (a list or comma-separated), with
 * `reserved` of the stream's 20 consumers taken already. @throws ConfigError naming `key`
 */
export function consumerNames(key: string, raw: unknown, reserved: number): string[] {
  if (raw === undefined || raw === '') return [];
  const names = (Array.isArray(raw) ? raw : String(raw).split(',')).map((n) => String(n).trim());
  for (const n of names) {
    if (!CONSUMER_NAME.test(n) || n === 'hot-path') {
      throw new ConfigError(
        `context '${key}' names must be 1-32 lower-case letters, digits or dashes, starting with a letter, and not 'hot-path', got ${JSON.stringify(n)}`,
      );
    }
  }
  if (new Set(names).size !== names.length) throw new ConfigError(`context '${key}' lists a name twice`);
  if (names.length + reserved > 20) {
    throw new ConfigError(
      `context '${key}' lists ${names.length} consumers: a stream holds 20 enhanced fan-out consumers`,
    );
  }
  return names;
}

/** A host name the hot path can list: what events allow (1–128 characters, no '#'), without commas or spaces. */
const LISTED_HOST = /^[^,#\s]{1,128}$/;

/**
 * The hosts of `fleetMetricHosts`: a bounded list (count and characters: it travels in an
 * environment variable). @throws ConfigError naming `key`
 */
export function listedHosts(key: string, raw: unknown, fleetMetrics: boolean): string[] {
  if (raw === undefined || raw === '') return [];
  const hosts = (Array.isArray(raw) ? raw : String(raw).split(',')).map((h) => String(h).trim());
  for (const h of hosts) {
    if (!LISTED_HOST.test(h)) {
      throw new ConfigError(
        `context '${key}' names hosts of 1-128 characters without commas, spaces or '#', got ${JSON.stringify(h)}`,
      );
    }
  }
  if (new Set(hosts).size !== hosts.length) throw new ConfigError(`context '${key}' lists a host twice`);
  if (hosts.length > MAX_FLEET_METRIC_HOSTS) {
    throw new ConfigError(
      `context '${key}' lists ${hosts.length} hosts: at most ${MAX_FLEET_METRIC_HOSTS} get per-host custom metrics (5 each); the fleet widgets show every host without them`,
    );
  }
  if (hosts.join(',').length > MAX_FLEET_METRIC_HOSTS_CHARS) {
    throw new ConfigError(
      `context '${key}' is ${hosts.join(',').length} characters: at most ${MAX_FLEET_METRIC_HOSTS_CHARS} fit in the hot path's environment`,
    );
  }
  if (hosts.length > 0 && !fleetMetrics) {
    throw new ConfigError(`context '${key}' needs fleetMetrics=true: per-host metrics are part of the fleet metrics`);
  }
  return hosts;
}

/** Something@domain.tld without spaces: a typo guard, not RFC 5322. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** `raw` as an e-mail address, or undefined when unset. @throws ConfigError naming `key` */
export function email(key: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !EMAIL_PATTERN.test(raw.trim())) {
    throw new ConfigError(
      `context '${key}' must be an e-mail address such as 'ops@example.com', got ${JSON.stringify(raw)}`,
    );
  }
  return raw.trim();
}
