/** Wiring of the hot path for tests: the real handler adapter, projection and local mapping, with fault injection. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { WindowProjection } from '#core/projections/window-projection.js';
import { fromAttributes, isWindowItem } from '#core/projections/window-items.js';
import { seriesWindows } from '#core/projections/window-views.js';
import { percentiles } from '#core/windows/aggregates.js';
import type { WindowingConfig } from '#core/windows/config.js';
import { createKinesisBatchHandler } from '#handlers/lib/kinesis-batch.js';
import type { KinesisFunction } from '#core/lambda/events.js';
import { scanAll } from './local-dynamo.js';
import type { OracleWindow } from './window-oracle.js';

/** Seeded randomness for reproducible fault schedules. */
export { seededRandom as seeded } from '#core/sources/synthetic-fleet.js';

/** Fault probabilities for DynamoDB writes. */
export interface DynamoFaults {
  /** A write answered with throttling (the SDK's retries already spent). */
  throttle: number;
  /** The process dies before the write. */
  crashBefore: number;
  /** The process dies right after the write landed. */
  crashAfter: number;
}

/** Counts of injected faults. */
export interface FaultCounts {
  throttled: number;
  crashes: number;
}

/**
 * A DynamoDB client whose writes fail as chosen: throttling is a DynamoDB answer
 * (an error with `$metadata`), a crash is a plain error that ends the invocation.
 */
export function faultyDynamo(
  real: DynamoDBClient,
  random: () => number,
  faults: DynamoFaults,
): Pick<DynamoDBClient, 'send'> & { counts: FaultCounts } {
  const counts: FaultCounts = { throttled: 0, crashes: 0 };
  return {
    counts,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- forwards any command unchanged
    async send(command: any): Promise<any> {
      const isWrite = command instanceof PutItemCommand || command instanceof BatchWriteItemCommand;
      if (!isWrite) return real.send(command);
      if (random() < faults.throttle) {
        counts.throttled++;
        throw Object.assign(new Error('Throughput exceeds the current capacity'), {
          name: 'ProvisionedThroughputExceededException',
          $metadata: { httpStatusCode: 400 },
        });
      }
      if (random() < faults.crashBefore) {
        counts.crashes++;
        throw new Error('simulated crash before a write');
      }
      const out = await real.send(command as PutItemCommand);
      if (random() < faults.crashAfter) {
        counts.crashes++;
        throw new Error('simulated crash after a write');
      }
      return out;
    },
  };
}

const silent = { log: () => {}, info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** The hot-path function as Lambda would run it; a crash also loses the process's warm state. */
export function hotPathFunction(options: {
  ddb: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  registry: SchemaRegistry;
  config: WindowingConfig;
  /** Parent shards (ListShards), as the deployed handler has them. */
  parentsOf?: (shardId: string) => Promise<string[]>;
  /** Bytes of tumbling-window state past which the handler flushes early (default: its own). */
  stateBudgetBytes?: number;
}): { fn: KinesisFunction; projection: WindowProjection } {
  const { stateBudgetBytes, ...projectionOptions } = options;
  const projection = new WindowProjection({ ...projectionOptions, writeConcurrency: 4 });
  const handler = createKinesisBatchHandler({
    ...(stateBudgetBytes !== undefined ? { stateBudgetBytes } : {}),
    projection,
    logger: new Logger({ serviceName: 'hot-path-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'PulseTest', serviceName: 'hot-path', logger: silent }),
  });
  const fn: KinesisFunction = async (event) => {
    try {
      return await handler(event);
    } catch (error) {
      projection.reset(); // a new process after a crash
      throw error;
    }
  };
  return { fn, projection };
}

/**
 * Every window of a table, in the oracle's shape, by the oracle's ids
 * (`metric|<metric>|<host>|<size>|<start>`, `log-service|…`, `log-host|…`): packed items
 * expanded, coarser sizes derived from the finest windows and their corrections.
 */
export async function storedWindows(
  ddb: DynamoDBClient,
  tableName: string,
  sizes: readonly number[],
): Promise<Map<string, OracleWindow>> {
  const items = (await scanAll(ddb, tableName)).filter(isWindowItem).map(fromAttributes);
  const out = new Map<string, OracleWindow>();
  for (const [id, w] of seriesWindows(items, sizes)) {
    const m = w.metric;
    out.set(
      id,
      m
        ? {
            count: m.count,
            samples: m.samples,
            sumMicros: m.sumMicros,
            min: m.min,
            max: m.max,
            last: m.last,
            lastAt: m.lastAt,
            ...percentiles(m),
          }
        : {
            count: w.count,
            samples: w.count,
            sumMicros: 0n,
            min: Infinity,
            max: -Infinity,
            last: 0,
            lastAt: -Infinity,
          },
    );
  }
  return out;
}

/** Number of distinct side-output positions stored, by kind. */
export async function sideOutputCounts(
  ddb: DynamoDBClient,
  tableName: string,
): Promise<{ late: Map<number, number>; quarantined: number }> {
  const late = new Map<number, number>();
  const quarantined = new Set<string>();
  for (const attrs of await scanAll(ddb, tableName)) {
    const pk = attrs.pk?.S ?? '';
    if (pk.startsWith('LATE#')) {
      const size = Number(attrs.size?.N);
      late.set(size, (late.get(size) ?? 0) + 1);
    } else if (pk.startsWith('QUARANTINE#')) quarantined.add(`${attrs.shard?.S}:${attrs.seq?.S}:${attrs.sub?.N}`);
  }
  return { late, quarantined: quarantined.size };
}
