/**
 * The protobufjs descriptor of the OTLP messages Pulse decodes, made from the official
 * opentelemetry-proto `.proto` files (as @elastic/mockotlpserver ships them, tag v1.4.0)
 * by protobufjs's own parser. `core/sources/otlp/opentelemetry-proto.json` is this
 * descriptor, committed so the Lambda bundle needs no `.proto` file at run time; the
 * unit test test/unit/otlp-wire.test.ts proves the two are equal.
 *
 * To write it again (after a dependency update):
 * `PULSE_WRITE_OTLP_DESCRIPTOR=1 npx vitest run test/unit/otlp-wire.test.ts`, then prettier.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

/** The service files whose imports make up every message Pulse reads and answers with. */
export const OTLP_PROTO_FILES = [
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
] as const;

/** Where the official `.proto` files are installed. */
export function otlpProtoDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@elastic/mockotlpserver/package.json'));
}

/** Parses the official `.proto` files and returns protobufjs's JSON descriptor of them. */
export function otlpDescriptorFromProtos(): protobuf.INamespace {
  const dir = otlpProtoDir();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(dir, target);
  root.loadSync([...OTLP_PROTO_FILES], { keepCase: false });
  root.resolveAll();
  return root.toJSON() as protobuf.INamespace;
}
