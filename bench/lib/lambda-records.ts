/** Records of a Lambda Kinesis event, as the benches hand them to the real handler. */
import type { LambdaKinesisEventRecord } from '#core/lambda/events.js';

/** The `n`th sequence number of a bench shard: 56 digits, as Kinesis writes them. */
export function benchSequenceNumber(n: number | bigint): string {
  return String(49_650_000_000_000n * 10n ** 42n + BigInt(n));
}

/** One record of a Lambda Kinesis event (data as Lambda sends it: base64). */
export function lambdaRecord(r: {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Buffer;
  arrivalMs: number;
}): LambdaKinesisEventRecord {
  return {
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${r.shardId}:${r.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
    awsRegion: 'us-east-1',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.partitionKey,
      sequenceNumber: r.sequenceNumber,
      data: r.data.toString('base64'),
      approximateArrivalTimestamp: r.arrivalMs / 1000,
    },
  };
}
