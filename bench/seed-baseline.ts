/**
 * The baseline's Lambda, timed: what seed 000's design spends in CPU per sample when it
 * writes one DynamoDB item per sample (BatchWriteItem, 25 items a call) and one JSON file
 * to S3 per invocation, through the real AWS SDK clients (marshalling, SigV4 signing,
 * serialising) answered by a stub instead of the network. No network wait is counted, so
 * the figure favours the baseline; `pulse cost` prices its Lambda from it.
 *
 *   npm run bench:seed-baseline [-- --samples 200000]
 */
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { itemSizeBytes } from '#core/cost/item-size.js';
import { SyntheticFleet } from '#core/sources/synthetic-fleet.js';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '200000' } } });
const N = Number(values.samples);

/** Answers every request with `body` and status 200, at once. */
function stub(body: string) {
  return {
    handle: async () => ({
      response: {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: Readable.from([Buffer.from(body)]),
      },
    }),
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
  };
}
const credentials = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' };
const ddb = new DynamoDBClient({ region: 'us-east-1', credentials, requestHandler: stub('{"UnprocessedItems":{}}') });
const s3 = new S3Client({ region: 'us-east-1', credentials, requestHandler: stub('') });

/** One invocation of the seed's Lambda: a tick of `hosts` hosts, one item per sample, one JSON file. */
async function invocation(
  fleet: SyntheticFleet,
  at: Date,
): Promise<{ samples: number; itemBytes: number; jsonBytes: number }> {
  const { metrics } = fleet.tick(at);
  let itemBytes = 0;
  for (let i = 0; i < metrics.length; i += 25) {
    const writes: WriteRequest[] = metrics.slice(i, i + 25).map((m) => {
      const item = marshall({
        pk: `${m.host}#${m.metric}`,
        sk: m.occurred_at.toISOString(),
        value: m.value,
        unit: m.unit,
        region: m.region,
        environment: m.environment,
      });
      itemBytes += itemSizeBytes(item);
      return { PutRequest: { Item: item } };
    });
    await ddb.send(new BatchWriteItemCommand({ RequestItems: { samples: writes } }));
  }
  const body = JSON.stringify(metrics);
  await s3.send(
    new PutObjectCommand({
      Bucket: 'seed-archive',
      Key: `samples/${at.toISOString()}.json`,
      Body: body,
      ContentType: 'application/json',
    }),
  );
  return { samples: metrics.length, itemBytes, jsonBytes: Buffer.byteLength(body) };
}

// 1,000 hosts × 5 metrics per invocation: big enough that the S3 write is amortised as at
// shape C, where one invocation writes 200,000 samples.
const fleet = new SyntheticFleet({ hosts: 1_000 });
const start = Date.UTC(2026, 10, 22);
await invocation(fleet, new Date(start)); // warm
let samples = 0;
let itemBytes = 0;
let jsonBytes = 0;
const cpu0 = process.cpuUsage();
for (let t = 1; samples < N; t++) {
  const r = await invocation(fleet, new Date(start + t * 300_000));
  samples += r.samples;
  itemBytes += r.itemBytes;
  jsonBytes += r.jsonBytes;
}
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1_000;
const figures = {
  bench: 'seed-baseline',
  samples,
  cpu_ms_per_1000_samples: Math.round((cpuMs / samples) * 1_000 * 1_000) / 1_000,
  /** DynamoDB's size of one sample item (a write unit is 1 KB: one each). */
  item_bytes: Math.round(itemBytes / samples),
  /** JSON bytes per sample in the file written to S3. */
  json_bytes_per_sample: Math.round(jsonBytes / samples),
};
process.stderr.write(
  `seed 000's Lambda: ${figures.cpu_ms_per_1000_samples} ms of CPU per 1,000 samples (SDK work only, no network)\n`,
);
console.log(JSON.stringify(figures));
