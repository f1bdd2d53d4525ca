/**
 * The OpenTelemetry Collector configuration Pulse documents (examples/otel-collector.yaml,
 * repeated in docs/sources.md) against the Collector's documented keys: no binary, only the
 * keys each component's README lists, that every reference resolves, and that it matches
 * what Pulse's OTLP ingest takes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OTLP_LIMITS } from '#core/sources/otlp/otlp-ingest.js';

const EXAMPLE = new URL('../../examples/otel-collector.yaml', import.meta.url);
const DOCS = new URL('../../docs/sources.md', import.meta.url);

/** A documented key: a leaf (any value), or a section with its own documented keys. */
type Keys = { [key: string]: true | Keys };

/** confighttp's client settings (the HTTP exporters embed them): endpoint, proxy_url, tls, headers, … */
const HTTP_CLIENT: Keys = {
  endpoint: true,
  proxy_url: true,
  tls: {
    insecure: true,
    insecure_skip_verify: true,
    ca_file: true,
    cert_file: true,
    key_file: true,
    server_name_override: true,
    min_version: true,
    max_version: true,
  },
  headers: true,
  read_buffer_size: true,
  write_buffer_size: true,
  timeout: true,
  compression: true,
  auth: { authenticator: true },
  max_idle_conns: true,
  max_idle_conns_per_host: true,
  max_conns_per_host: true,
  idle_conn_timeout: true,
  disable_keep_alives: true,
  http2_read_idle_timeout: true,
  http2_ping_timeout: true,
};

/** exporterhelper's settings (retry_on_failure, sending_queue), which the HTTP exporters take. */
const EXPORTER_HELPER: Keys = {
  retry_on_failure: {
    enabled: true,
    initial_interval: true,
    max_interval: true,
    max_elapsed_time: true,
    multiplier: true,
    randomization_factor: true,
  },
  sending_queue: {
    enabled: true,
    num_consumers: true,
    queue_size: true,
    blocking: true,
    block_on_overflow: true,
    wait_for_result: true,
    sizer: true,
    storage: true,
    batch: true,
  },
};

/** Each component type's documented keys (from its README in the Collector or collector-contrib). */
const COMPONENTS: Record<'extensions' | 'receivers' | 'processors' | 'exporters', Record<string, Keys>> = {
  extensions: {
    // extension/sigv4authextension
    sigv4auth: {
      region: true,
      service: true,
      assume_role: { arn: true, session_name: true, sts_region: true, web_identity_token_file: true },
    },
  },
  receivers: {
    // receiver/otlpreceiver
    otlp: {
      protocols: {
        grpc: {
          endpoint: true,
          transport: true,
          tls: true,
          max_recv_msg_size_mib: true,
          max_concurrent_streams: true,
          read_buffer_size: true,
          write_buffer_size: true,
          keepalive: true,
          auth: true,
          include_metadata: true,
        },
        http: {
          endpoint: true,
          tls: true,
          cors: true,
          auth: true,
          max_request_body_size: true,
          include_metadata: true,
          traces_url_path: true,
          metrics_url_path: true,
          logs_url_path: true,
        },
      },
    },
  },
  processors: {
    // processor/resourcedetectionprocessor (contrib)
    resourcedetection: { detectors: true, timeout: true, override: true, system: true, ec2: true, env: true },
    // processor/batchprocessor
    batch: {
      send_batch_size: true,
      send_batch_max_size: true,
      timeout: true,
      metadata_keys: true,
      metadata_cardinality_limit: true,
    },
  },
  exporters: {
    // exporter/otlphttpexporter: its own keys, confighttp's client and exporterhelper's
    otlphttp: {
      ...HTTP_CLIENT,
      ...EXPORTER_HELPER,
      traces_endpoint: true,
      metrics_endpoint: true,
      logs_endpoint: true,
      encoding: true,
    },
  },
};

const TOP_LEVEL: Keys = {
  extensions: true,
  receivers: true,
  processors: true,
  exporters: true,
  connectors: true,
  service: true,
};
const PIPELINE: Keys = { receivers: true, processors: true, exporters: true };

/** Every key of `value` not in `keys`, as a path. */
function unknownKeys(value: unknown, keys: Keys, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const known = keys[k];
    if (known === undefined) return [`${path}.${k}`];
    return known === true ? [] : unknownKeys(v, known, `${path}.${k}`);
  });
}

/** A component id's type: `otlphttp/pulse` is an `otlphttp`. */
const typeOf = (id: string) => id.split('/')[0] as string;

interface Config {
  extensions: Record<string, Record<string, unknown>>;
  receivers: Record<string, Record<string, unknown>>;
  processors: Record<string, Record<string, unknown>>;
  exporters: Record<string, Record<string, unknown>>;
  service: { extensions: string[]; pipelines: Record<string, Record<string, string[]>> };
}

describe('the OpenTelemetry Collector configuration for Pulse in AWS', () => {
  const text = readFileSync(EXAMPLE, 'utf8');
  const config = parse(text) as Config;

  it('uses only keys the Collector documents for each component', () => {
    const unknown = unknownKeys(config, TOP_LEVEL, '');
    for (const section of ['extensions', 'receivers', 'processors', 'exporters'] as const) {
      for (const [id, settings] of Object.entries(config[section] ?? {})) {
        const keys = COMPONENTS[section][typeOf(id)];
        if (!keys) unknown.push(`${section}.${id} (no such component type is documented here)`);
        else unknown.push(...unknownKeys(settings ?? {}, keys, `${section}.${id}`));
      }
    }
    for (const [id, pipeline] of Object.entries(config.service.pipelines)) {
      expect(['traces', 'metrics', 'logs']).toContain(typeOf(id));
      unknown.push(...unknownKeys(pipeline, PIPELINE, `service.pipelines.${id}`));
    }
    expect(unknown).toEqual([]);
  });

  it('refers only to components it defines, and signs with sigv4auth for execute-api', () => {
    const defined = (section: keyof typeof COMPONENTS) => Object.keys(config[section] ?? {});
    expect(config.service.extensions.every((e) => defined('extensions').includes(e))).toBe(true);
    for (const pipeline of Object.values(config.service.pipelines)) {
      for (const section of ['receivers', 'processors', 'exporters'] as const) {
        for (const id of pipeline[section] ?? []) expect(defined(section), `${section} ${id}`).toContain(id);
      }
    }
    const exporter = config.exporters['otlphttp/pulse'] as Record<string, unknown> & {
      auth: { authenticator: string };
    };
    expect(config.service.extensions).toContain(exporter.auth.authenticator);
    expect(config.extensions[exporter.auth.authenticator]).toMatchObject({ service: 'execute-api' });
    expect(exporter.endpoint).toMatch(/^https:\/\/[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com\/[A-Za-z0-9_-]+$/);
  });

  it('sends what Pulse takes: protobuf or JSON, gzip, batches within the per-request limit', () => {
    const exporter = config.exporters['otlphttp/pulse'] as Record<string, unknown>;
    expect(['proto', 'json']).toContain(exporter.encoding);
    expect(['gzip', 'none']).toContain(exporter.compression);
    const batch = config.processors.batch as { send_batch_max_size: number };
    expect(batch.send_batch_max_size).toBeLessThanOrEqual(OTLP_LIMITS.maxItems);
    expect(Object.keys(config.service.pipelines).sort()).toEqual(['logs', 'metrics']);
  });

  it('is the configuration docs/sources.md shows', () => {
    const docs = readFileSync(DOCS, 'utf8');
    const block = /```yaml\n(# OpenTelemetry Collector[\s\S]*?)```/.exec(docs)?.[1];
    expect(block).toBe(text);
  });
});
