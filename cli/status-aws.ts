/**
 * `pulse status --aws`: the health of a deployed stage. Stream shards and iterator
 * age (Kinesis, CloudWatch), each delivery stream's status (Firehose
 * DescribeDeliveryStream), and whether the Glue tables still have the columns the
 * `.avsc` files define (Glue GetTable), naming each drifted column.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDeliveryStreamCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { GetTableCommand, type GlueClient } from '@aws-sdk/client-glue';
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { EVENT_TYPES } from '#core/contract/events.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { LAKE_TABLES, lakeColumns } from '#core/lake/columns.js';
import { type ColumnDrift, columnDrift } from '#core/lake/drift.js';
import { resourceNames } from '#core/resources.js';

/** The clients the AWS status reads through (tests pass stand-ins for the services that cannot run here). */
export interface AwsStatusClients {
  kinesis: Pick<KinesisClient, 'send'>;
  cloudwatch: Pick<CloudWatchClient, 'send'>;
  firehose: Pick<FirehoseClient, 'send'>;
  glue: Pick<GlueClient, 'send'>;
}

/** What `pulse status --aws` reports. */
export interface AwsStatus {
  stream: { name: string; status: string; openShards: number; retentionHours: number; iteratorAgeMs: number | null };
  deliveryStreams: { name: string; status: string; failure?: string }[];
  drift: ColumnDrift[];
  /** True when the stream is active, every delivery stream active and nothing drifted. */
  healthy: boolean;
}

/** Reads the status of stage `stage`. */
export async function awsStatus(
  clients: AwsStatusClients,
  stage: string,
  registry: SchemaRegistry,
): Promise<AwsStatus> {
  const names = resourceNames(stage);
  const summary = (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: names.stream })))
    .StreamDescriptionSummary;
  const now = Date.now();
  const metrics = await clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now - 15 * 60_000),
      EndTime: new Date(now),
      MetricDataQueries: [
        {
          Id: 'age',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Kinesis',
              MetricName: 'GetRecords.IteratorAgeMilliseconds',
              Dimensions: [{ Name: 'StreamName', Value: names.stream }],
            },
            Period: 300,
            Stat: 'Maximum',
          },
        },
      ],
    }),
  );
  const ages = metrics.MetricDataResults?.[0]?.Values ?? [];
  const deliveryStreams: AwsStatus['deliveryStreams'] = [];
  const drift: ColumnDrift[] = [];
  for (const type of EVENT_TYPES) {
    const table = LAKE_TABLES[type];
    const name = names.deliveryStream(table);
    try {
      const d = (await clients.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name })))
        .DeliveryStreamDescription;
      const failure = d?.FailureDescription?.Details;
      deliveryStreams.push({ name, status: d?.DeliveryStreamStatus ?? 'UNKNOWN', ...(failure ? { failure } : {}) });
    } catch (error) {
      deliveryStreams.push({ name, status: 'NOT FOUND', failure: (error as Error).message });
    }
    const got = await clients.glue.send(new GetTableCommand({ DatabaseName: names.glueDatabase, Name: table }));
    drift.push(...columnDrift(table, lakeColumns(registry, type), got.Table?.StorageDescriptor?.Columns ?? []));
  }
  const stream = {
    name: names.stream,
    status: summary?.StreamStatus ?? 'UNKNOWN',
    openShards: summary?.OpenShardCount ?? 0,
    retentionHours: summary?.RetentionPeriodHours ?? 0,
    iteratorAgeMs: ages.length > 0 ? Math.max(...ages) : null,
  };
  return {
    stream,
    deliveryStreams,
    drift,
    healthy: stream.status === 'ACTIVE' && deliveryStreams.every((d) => d.status === 'ACTIVE') && drift.length === 0,
  };
}
