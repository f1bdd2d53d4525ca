/**
 * The on-failure destination of the local event source mapping: one S3 object per
 * discarded batch, shaped like what Lambda writes to an S3 destination for a
 * Kinesis source (batch info, reason, and the payload: the event the function
 * would have received), under `aws/lambda/<mapping>/<shardId>/YYYY/MM/DD/`.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DiscardedBatch, OnFailureDestination } from './event-source-mapping.js';

/** Writes discarded batches to a bucket. */
export class S3FailureDestination implements OnFailureDestination {
  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    private readonly bucket: string,
    private readonly mappingId: string,
    private readonly streamArn: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The object key Lambda would use for a batch discarded at `at`. */
  keyFor(shardId: string, at: number): string {
    const iso = new Date(at).toISOString();
    const [date] = iso.split('T');
    const stamp = iso.slice(0, 19).replaceAll(':', '.');
    return `aws/lambda/${this.mappingId}/${shardId}/${(date ?? '').replaceAll('-', '/')}/${stamp}-${randomUUID()}`;
  }

  async send(batch: DiscardedBatch): Promise<void> {
    const at = this.now();
    const first = batch.records[0];
    const last = batch.records[batch.records.length - 1];
    const body = {
      version: '1.0',
      timestamp: new Date(at).toISOString(),
      requestContext: {
        requestId: randomUUID(),
        functionArn: 'arn:aws:lambda:local:000000000000:function:hot-path',
        condition: batch.reason,
        approximateInvokeCount: 1,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      KinesisBatchInfo: {
        shardId: batch.shardId,
        startSequenceNumber: batch.startSequenceNumber,
        endSequenceNumber: batch.endSequenceNumber,
        approximateArrivalOfFirstRecord: first
          ? new Date(first.kinesis.approximateArrivalTimestamp * 1000).toISOString()
          : undefined,
        approximateArrivalOfLastRecord: last
          ? new Date(last.kinesis.approximateArrivalTimestamp * 1000).toISOString()
          : undefined,
        batchSize: batch.records.length,
        streamArn: this.streamArn,
      },
      payload: JSON.stringify({ Records: batch.records }),
    };
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.keyFor(batch.shardId, at),
        Body: JSON.stringify(body),
        ContentType: 'application/json',
      }),
    );
  }
}
