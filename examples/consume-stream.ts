/**
 * Runnable example for stream consumers (schemas/README.md):
 *
 *   npx tsx examples/consume-stream.ts                          # self-contained: local Kinesis + sample events
 *   npx tsx examples/consume-stream.ts --endpoint URL --stream NAME [--reader-version 1]
 *
 * Reads every shard of a stream from TRIM_HORIZON and prints one line per event,
 * decoded into the MetricSample reader version of your choice.
 */
import { parseArgs } from 'node:util';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { StreamDecoder } from '#core/contract/consumer.js';
import type { LogEvent, MetricSample } from '#core/contract/events.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { startKinesisServer } from '#local/kinesis-server.js';
import { createStream, listShards, readShard } from '#local/streams.js';
import { Producer } from '#core/produce/producer.js';
import { SyntheticFleet } from '#core/sources/synthetic-fleet.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    stream: { type: 'string' },
    'reader-version': { type: 'string', default: '2' },
  },
});

// 1. Load the schemas once per process, and pick the reader version you were built against.
const registry = SchemaRegistry.load();
const decoder = new StreamDecoder(registry, { MetricSample: Number(values['reader-version']) });

// (self-contained mode: a local Kinesis server with a few sample events)
const server = values.endpoint ? undefined : await startKinesisServer();
const kinesis = createKinesisClient({ endpoint: values.endpoint ?? server?.endpoint });
const streamName = values.stream ?? 'example-events';
if (server) {
  await createStream(kinesis, streamName, 2);
  const producer = await Producer.create({ kinesis, streamName, registry });
  const { metrics, logs } = new SyntheticFleet({ hosts: 2 }).tick(new Date('2026-11-22T12:00:00Z'));
  for (const m of metrics) await producer.put('MetricSample', m);
  for (const l of logs) await producer.put('LogEvent', l);
  await producer.close();
}

// 2. Read records (GetRecords here; a Lambda handler passes event.Records[i] the same way).
for (const shard of await listShards(kinesis, streamName)) {
  for (const record of await readShard(kinesis, streamName, shard.ShardId as string)) {
    // 3. One Kinesis record holds many events (KPL aggregate); decode() never throws on bad data.
    const { events, poison } = decoder.decode(record);
    for (const e of events) {
      if (e.type === 'MetricSample') {
        const m = e.event as MetricSample;
        console.log(
          `${m.occurred_at.toISOString()} ${m.host} ${m.metric}=${m.value} ${m.unit} (written v${e.writer.version})`,
        );
      } else {
        const l = e.event as LogEvent;
        console.log(`${l.occurred_at.toISOString()} ${l.host} ${l.service} ${l.level}`);
      }
    }
    for (const p of poison) console.error(`skipped ${p.sequenceNumber}/${p.subSequenceNumber}: ${p.error.code}`);
  }
}
kinesis.destroy();
await server?.stop();
