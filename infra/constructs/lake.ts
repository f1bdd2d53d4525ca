/**
 * The cold path: per event type a Firehose delivery stream reading the stream
 * (it de-aggregates KPL), the transform Lambda (event-time partition keys), record
 * format conversion to Parquet with the Glue table's schema, dynamic partitioning
 * and an error prefix; the lake bucket; the Glue database and tables with partition
 * projection (no crawler), their columns generated from the .avsc files.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVENT_TYPES, type EventType } from '#core/contract/events.js';
import type { SchemaRegistry } from '#core/contract/registry.js';
import { LAKE_TABLES, lakeColumns, PARTITION_KEYS } from '#core/lake/columns.js';
import { firehoseErrorPrefix, firehosePrefix } from '#core/lake/layout.js';
import type { PulseConfig } from '#infra/config.js';
import { acknowledge, LOG_RETENTION_DAYS, nagArn } from '#infra/defaults.js';
import { EARLIEST_EVENT_TIME_MS } from '#core/sources/input.js';
import { pulseBucket } from '#infra/constructs/shared/pulse-bucket.js';
import { pulseFunction } from '#infra/constructs/shared/pulse-function.js';

/** Props of {@link Lake}. */
export interface LakeProps {
  stream: kinesis.IStream;
  registry: SchemaRegistry;
  databaseName: string;
  settings: PulseConfig['lake'];
  /** Names a table's delivery stream (`resourceNames(stage).deliveryStream`), so `pulse status --aws` finds it. */
  deliveryStreamName: (table: string) => string;
}

/** Partition projection parameters for `year=/month=/day=/hour=` of event time. */
export function projectionParameters(location: string): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.year.type': 'integer',
    // From the earliest event time ingest accepts: older events would be in partitions Athena never reads.
    'projection.year.range': `${new Date(EARLIEST_EVENT_TIME_MS).getUTCFullYear()},2100`,
    'projection.month.type': 'integer',
    'projection.month.range': '1,12',
    'projection.month.digits': '2',
    'projection.day.type': 'integer',
    'projection.day.range': '1,31',
    'projection.day.digits': '2',
    'projection.hour.type': 'integer',
    'projection.hour.range': '0,23',
    'projection.hour.digits': '2',
    'storage.location.template': `${location}year=\${year}/month=\${month}/day=\${day}/hour=\${hour}/`,
  };
}

/** The lake: bucket, Glue tables and one delivery stream per event type. */
export class Lake extends Construct {
  readonly bucket: s3.Bucket;
  readonly database: glue.CfnDatabase;
  readonly tables = new Map<EventType, glue.CfnTable>();
  readonly deliveryStreams = new Map<EventType, firehose.CfnDeliveryStream>();
  /** The transform function of each delivery stream (it publishes the data-loss SLO's lake rows). */
  readonly transforms = new Map<EventType, lambda.IFunction>();

  constructor(scope: Construct, id: string, props: LakeProps) {
    super(scope, id);
    this.bucket = pulseBucket(this, 'Bucket', 'lake', {
      lifecycleRules: [
        {
          id: 'tiers',
          transitions: [
            { storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(30) },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(180) },
          ],
          noncurrentVersionExpiration: Duration.days(30),
        },
        { id: 'errors', prefix: 'errors/', expiration: Duration.days(90) },
      ],
    });
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: props.databaseName, description: 'Pulse lake: bronze tables landed by Firehose' },
    });
    const logGroup = new logs.LogGroup(this, 'FirehoseLogs', {
      retention: LOG_RETENTION_DAYS as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const type of EVENT_TYPES) this.addEventType(type, props, logGroup);
  }

  private addEventType(type: EventType, props: LakeProps, logGroup: logs.LogGroup): void {
    const table = LAKE_TABLES[type];
    const location = `s3://${this.bucket.bucketName}/${table}/`;
    const cfnTable = new glue.CfnTable(this, `${type}Table`, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: props.databaseName,
      tableInput: {
        name: table,
        description: `${type} events as landed (bronze); columns generated from schemas/`,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', 'parquet.compression': 'SNAPPY', ...projectionParameters(location) },
        partitionKeys: PARTITION_KEYS.map((name) => ({ name, type: 'int' })),
        storageDescriptor: {
          location,
          columns: lakeColumns(props.registry, type).map((c) => ({
            name: c.name,
            type: c.glueType,
            comment: c.comment,
          })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    cfnTable.addResourceDependency(this.database);
    this.tables.set(type, cfnTable);

    const transform = pulseFunction(this, `${type}Transform`, {
      entry: 'handlers/firehose-transform.ts',
      memoryMb: 512,
      timeoutSeconds: 120,
      description: `Pulse lake transform: ${type} Avro to JSON rows with event-time partition keys`,
      invocation: 'firehose',
    });
    transform.addEnvironment('PULSE_EVENT_TYPE', type);
    this.transforms.set(type, transform);

    const role = new iam.Role(this, `${type}DeliveryRole`, {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com'),
    });
    props.stream.grantRead(role);
    // Exactly the S3 actions Firehose documents for an S3 destination, on this table's
    // prefixes only (`grantReadWrite` would add s3:GetObject*, s3:DeleteObject*, s3:List*).
    const objects = [`${table}/*`, `errors/${table}/*`];
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: objects.map((o) => this.bucket.arnForObjects(o)),
      }),
    );
    for (const o of objects)
      acknowledge(role, `AwsSolutions-IAM5[Resource::${nagArn(this.bucket)}/${o}]`, 'lakeObjects');
    // The unqualified function Firehose invokes (`grantInvoke` would add every version, `:*`).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
        resources: [transform.functionArn],
      }),
    );
    logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: [
          `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:catalog`,
          `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:database/${props.databaseName}`,
          `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${props.databaseName}/${table}`,
        ],
      }),
    );
    const logStream = new logs.LogStream(this, `${type}DeliveryLogStream`, {
      logGroup,
      logStreamName: `${table}-delivery`,
    });

    const delivery = new firehose.CfnDeliveryStream(this, `${type}Delivery`, {
      deliveryStreamName: props.deliveryStreamName(table),
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: props.stream.streamArn, roleArn: role.roleArn },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: firehosePrefix(type),
        errorOutputPrefix: firehoseErrorPrefix(type),
        // Conversion requires UNCOMPRESSED here: Parquet pages are Snappy-compressed instead.
        compressionFormat: 'UNCOMPRESSED',
        bufferingHints: {
          sizeInMBs: props.settings.bufferSizeMb,
          intervalInSeconds: props.settings.bufferIntervalSeconds,
        },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'Lambda',
              parameters: [
                { parameterName: 'LambdaArn', parameterValue: transform.functionArn },
                { parameterName: 'BufferSizeInMBs', parameterValue: '1' },
                { parameterName: 'BufferIntervalInSeconds', parameterValue: '60' },
              ],
            },
          ],
        },
        dataFormatConversionConfiguration: {
          enabled: true,
          // Event time stays epoch ms in the JSON; the Hive deserializer turns it into a timestamp.
          inputFormatConfiguration: { deserializer: { hiveJsonSerDe: { timestampFormats: ['millis'] } } },
          outputFormatConfiguration: {
            serializer: { parquetSerDe: { compression: 'SNAPPY', enableDictionaryCompression: true } },
          },
          schemaConfiguration: {
            catalogId: Aws.ACCOUNT_ID,
            databaseName: props.databaseName,
            tableName: table,
            region: Aws.REGION,
            roleArn: role.roleArn,
            versionId: 'LATEST',
          },
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    delivery.node.addDependency(role);
    acknowledge(delivery, 'AwsSolutions-KDF1', 'firehoseSse');
    delivery.addResourceDependency(cfnTable);
    this.deliveryStreams.set(type, delivery);
  }
}
