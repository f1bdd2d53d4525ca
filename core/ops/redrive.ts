/**
 * Redrive: the batches the hot path gave up on (objects of its S3 on-failure
 * destination, each holding the batch as Lambda would have received it) are made
 * to count, and each object is removed only after that succeeded.
 *
 * Replaying a failed batch through the live projection cannot be exact: the shard's
 * checkpoint and producer marks have moved past it, and the batch may have been
 * partly applied before it failed. So redrive finds the event-time range the failed
 * events fall in and rebuilds exactly those windows from the stream (which still
 * holds the records while within retention), in place; see rebuild.ts.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { StreamDecoder } from '#core/contract/consumer.js';
import type { LambdaKinesisEvent } from '#core/lambda/events.js';
import { rebuild, type RebuildOptions } from './rebuild.js';

/** What a redrive did. */
export interface RedriveResult {
  /** Failure objects read (and removed). */
  objects: number;
  /** Kinesis records in them. */
  records: number;
  /** Events in them that decode (the rest are quarantined by the rebuild). */
  events: number;
  /** The event-time range rebuilt, epoch ms [from, to); undefined when there was nothing to redrive. */
  range?: { from: number; to: number };
  /** Windows rewritten. */
  windowsRepaired: number;
}

/** Settings of a redrive: where the failures are, and what a rebuild needs. */
export interface RedriveOptions extends Omit<RebuildOptions, 'from' | 'to' | 'inPlace'> {
  s3: Pick<S3Client, 'send'>;
  bucket: string;
  /** Prefix of the hot path's failure objects (`aws/lambda/` in AWS, `aws/lambda/hot-path/` locally). */
  prefix: string;
}

async function listKeys(s3: Pick<S3Client, 'send'>, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** See the module comment. */
export async function redrive(o: RedriveOptions): Promise<RedriveResult> {
  const keys = await listKeys(o.s3, o.bucket, o.prefix);
  const decoder = new StreamDecoder(o.registry);
  let records = 0;
  let events = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const key of keys) {
    const got = await o.s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: key }));
    const body = JSON.parse((await got.Body?.transformToString()) ?? '{}') as { payload?: string };
    const batch = JSON.parse(body.payload ?? '{"Records":[]}') as LambdaKinesisEvent;
    for (const r of batch.Records) {
      records++;
      for (const e of decoder.events({
        Data: Buffer.from(r.kinesis.data, 'base64'),
        PartitionKey: r.kinesis.partitionKey,
        SequenceNumber: r.kinesis.sequenceNumber,
      })) {
        events++;
        const t = e.event.occurred_at.getTime();
        min = Math.min(min, t);
        max = Math.max(max, t);
      }
    }
  }
  let range: RedriveResult['range'];
  let windowsRepaired = 0;
  if (events > 0) {
    const largest = Math.max(...o.config.windowSizesMs);
    range = { from: Math.floor(min / largest) * largest, to: Math.floor(max / largest) * largest + largest };
    windowsRepaired = (await rebuild({ ...o, ...range, inPlace: true })).copied;
  }
  // Only now that the windows hold the failed batches' events.
  for (const key of keys) await o.s3.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: key }));
  return { objects: keys.length, records, events, ...(range ? { range } : {}), windowsRepaired };
}
