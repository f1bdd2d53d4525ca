import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { GlueClient } from '@aws-sdk/client-glue';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '#core/contract/events.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { LAKE_TABLES, lakeColumns } from '#core/lake/columns.js';
import { createStream } from '#local/streams.js';
import { resourceNames } from '#core/resources.js';
import { awsStatus } from '#cli/status-aws.js';
import { useLocalKinesis } from '#test/helpers/local-kinesis.js';

const registry = SchemaRegistry.load();
const local = useLocalKinesis();

/**
 * Stand-ins for CloudWatch, Firehose and Glue, which cannot run here: they answer
 * the one call each with the shape the service documents. Kinesis is kinesalite.
 */
function services(o: { firehoseStatus: string; glueColumns: (table: string) => { Name: string; Type: string }[] }) {
  const calls: string[] = [];
  const answer = (fn: (input: Record<string, unknown>) => unknown) => ({
    send: (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      calls.push(command.constructor.name);
      return fn(command.input);
    }) as never,
  });
  return {
    calls,
    cloudwatch: answer(() => ({ MetricDataResults: [{ Id: 'age', Values: [1_200, 800] }] })) as Pick<
      CloudWatchClient,
      'send'
    >,
    firehose: answer((input) => ({
      DeliveryStreamDescription: {
        DeliveryStreamName: input.DeliveryStreamName,
        DeliveryStreamStatus: o.firehoseStatus,
      },
    })) as Pick<FirehoseClient, 'send'>,
    glue: answer((input) => ({ Table: { StorageDescriptor: { Columns: o.glueColumns(String(input.Name)) } } })) as Pick<
      GlueClient,
      'send'
    >,
  };
}

const typeOf = Object.fromEntries(EVENT_TYPES.map((t) => [LAKE_TABLES[t], t]));
const matching = (table: string) =>
  lakeColumns(registry, typeOf[table] as (typeof EVENT_TYPES)[number]).map((c) => ({ Name: c.name, Type: c.glueType }));

describe('pulse status --aws', () => {
  it('reports a healthy stage: stream shards and iterator age, active delivery streams, no drift', async () => {
    // Prepare
    await createStream(local.kinesis, resourceNames('st1').stream, 3);
    const s = services({ firehoseStatus: 'ACTIVE', glueColumns: matching });

    // Act
    const status = await awsStatus({ kinesis: local.kinesis, ...s }, 'st1', registry);

    // Assess
    expect(status).toEqual({
      stream: { name: 'pulse-st1-events', status: 'ACTIVE', openShards: 3, retentionHours: 24, iteratorAgeMs: 1_200 },
      deliveryStreams: [
        { name: 'pulse-st1-metric-samples', status: 'ACTIVE' },
        { name: 'pulse-st1-log-events', status: 'ACTIVE' },
      ],
      drift: [],
      healthy: true,
    });
    expect(s.calls.sort()).toEqual([
      'DescribeDeliveryStreamCommand',
      'DescribeDeliveryStreamCommand',
      'GetMetricDataCommand',
      'GetTableCommand',
      'GetTableCommand',
    ]);
  });

  it('is unhealthy and names each drifted column when a Glue table lost one', async () => {
    // Prepare
    await createStream(local.kinesis, resourceNames('st2').stream, 1);
    const s = services({
      firehoseStatus: 'ACTIVE',
      glueColumns: (table) => matching(table).filter((c) => !(table === 'log_events' && c.Name === 'service')),
    });

    // Act
    const status = await awsStatus({ kinesis: local.kinesis, ...s }, 'st2', registry);

    // Assess
    expect(status.healthy).toBe(false);
    expect(status.drift.map((d) => d.message)).toEqual([
      'log_events.service: in the .avsc as string, missing in Glue: deploy the stack (cdk deploy) so the table has it',
    ]);
  });
});
