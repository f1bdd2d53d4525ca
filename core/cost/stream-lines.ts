/** The cost lines of the stream and the hot path: Kinesis, the hot-path Lambda, DynamoDB. */
import { ASSUMPTIONS, fmt, lambdaSeconds, type PricedLine, usd } from './bill.js';
import { KB, MB, GB, type PricingContext, shardNeed } from './pricing.js';

/** The stream and hot-path lines, and what later lines need of them. */
export interface StreamLines {
  lines: PricedLine[];
  /** Aggregated Kinesis records in the month. */
  records: number;
  shards: number;
  hotInvocations: number;
  hotInvocationsPerS: number;
  /** Price of a GB-month of DynamoDB storage, with PITR when on. */
  storagePrice: number;
}

/** Kinesis (the cheaper of on-demand and provisioned), the hot-path Lambda, and DynamoDB writes, reads, storage and GSI. */
export function streamLines(c: PricingContext): StreamLines {
  const { fleet, stage, prices: p, figures: f, seconds, rate, events, line, lambdaCost } = c;
  const A = ASSUMPTIONS;
  // ---- Kinesis -----------------------------------------------------------
  const recordsPerS = rate / f.events_per_record;
  const bytesPerS = rate * f.stream_bytes_per_event;
  const records = recordsPerS * seconds;
  const need = shardNeed(bytesPerS, recordsPerS, stage.streamReaders, f.max_state_bytes * f.shards);
  const shards = need.shards;
  const k = p.kinesis;
  const extended = stage.retentionHours > 24;
  const odIngestGb = (records * Math.ceil(f.record_bytes / KB) * KB) / GB;
  const streamGb = (bytesPerS * seconds) / GB;
  const odHours = A.hoursPerMonth * k.on_demand_stream_hour;
  const odRetention = extended
    ? odIngestGb * ((stage.retentionHours - 24) / A.hoursPerMonth) * k.on_demand_extended_retention_per_gb_month
    : 0;
  const onDemand =
    odHours +
    odIngestGb * k.on_demand_ingest_per_gb +
    streamGb * stage.streamReaders * k.on_demand_retrieval_per_gb +
    odRetention;
  const shardHourPrice = k.provisioned_shard_hour + (extended ? k.provisioned_extended_retention_shard_hour : 0);
  const provHours = shards * A.hoursPerMonth * shardHourPrice;
  const putUnits = records * Math.ceil(f.record_bytes / (25 * KB));
  const provisioned = provHours + (putUnits / 1e6) * k.provisioned_put_units_per_million;
  const cheaper = provisioned <= onDemand ? 'provisioned' : 'on-demand';
  const deployedNote =
    stage.streamMode === cheaper
      ? `The stage deploys ${cheaper} (streamMode)`
      : `The stage deploys ${stage.streamMode} (streamMode): ${cheaper} is cheaper at this rate; ${
          cheaper === 'provisioned'
            ? `cdk deploy -c streamMode=provisioned -c shardCount=${shards} makes it so`
            : 'cdk deploy -c streamMode=on-demand makes it so'
        }`;
  const kinesis = line(
    'Kinesis Data Streams',
    Math.min(provisioned, onDemand),
    `${cheaper} chosen. Provisioned ${usd(provisioned)}: ${shards} shard${shards === 1 ? '' : 's'} (max of ${need.byWrite} for ${fmt(bytesPerS / MB)} MB/s in, ${need.byRecords} for ${fmt(recordsPerS)} records/s, ${need.byRead} for ${stage.streamReaders} readers × ${fmt(bytesPerS / MB)} MB/s at 2 MB/s a shard, ${need.byState} for the held state) × ${A.hoursPerMonth} h × ${usd(shardHourPrice)}${extended ? ` (incl. extended retention for ${stage.retentionHours} h)` : ''} + ${fmt(putUnits / 1e6)} M PUT payload units (25 KB, ${fmt(f.record_bytes)} B records). ` +
      `On-demand ${usd(onDemand)}: ${usd(odHours)} stream-hours + ${fmt(odIngestGb)} GB in (records rounded up to 1 KB) × ${usd(k.on_demand_ingest_per_gb)} + ${fmt(streamGb)} GB × ${stage.streamReaders} readers (hot path, ${stage.deliveryStreams} delivery streams) × ${usd(k.on_demand_retrieval_per_gb)}${extended ? ` + ${usd(odRetention)} retention beyond 24 h` : ''}. ${deployedNote}.`,
    cheaper === 'provisioned' ? provHours : odHours,
  );

  // ---- Hot path ----------------------------------------------------------
  const perShardRecordsPerS = recordsPerS / shards;
  const pollsWithRecords = 1 - Math.exp(-perShardRecordsPerS * stage.maxBatchingWindowSeconds);
  const batchesPerPoll = Math.max(
    1,
    Math.ceil((perShardRecordsPerS * stage.maxBatchingWindowSeconds) / stage.batchSize),
  );
  const finals =
    stage.flushIntervalSeconds > 0
      ? (1 - Math.exp(-perShardRecordsPerS * stage.flushIntervalSeconds)) / stage.flushIntervalSeconds
      : 0;
  const hotInvocationsPerS = shards * ((pollsWithRecords * batchesPerPoll) / stage.maxBatchingWindowSeconds + finals);
  const hotInvocations = hotInvocationsPerS * seconds;
  const hotCpu = (events * f.hot_path_ms_per_1000) / 1e6;
  const hotWait =
    (events * (f.writes_per_event + f.read_units_per_event) * A.dynamoRequestMs) / 1_000 / stage.writeConcurrency;
  const hotSeconds = lambdaSeconds(hotCpu, stage.hotPathMemoryMb) + hotWait;
  const hotGbS = hotSeconds * (stage.hotPathMemoryMb / 1_024);
  const hotPath = line(
    'Lambda hot path',
    lambdaCost(hotGbS, hotInvocations),
    `${fmt(f.hot_path_ms_per_1000)} ms CPU per 1,000 events (measured) at ${stage.hotPathMemoryMb} MB (${fmt(Math.min(1, stage.hotPathMemoryMb / A.fullVcpuMb))} vCPU) + ${A.dynamoRequestMs} ms per DynamoDB request, ${stage.writeConcurrency} in flight = ${fmt(hotGbS)} GB-s; ${fmt(hotInvocations / 1e6)} M invocations (${shards} shards polled every ${stage.maxBatchingWindowSeconds} s, a poll finds records ${fmt(pollsWithRecords * 100)} % of the time, + a final invoke per ${stage.flushIntervalSeconds} s window)`,
  );

  // ---- DynamoDB ----------------------------------------------------------
  const d = p.dynamodb;
  const writeUnits = events * f.write_units_per_event;
  const writes = line(
    'DynamoDB writes',
    (writeUnits / 1e6) * d.on_demand_write_units_per_million,
    `${fmt(f.write_units_per_event)} write units per event measured (checkpoints ${fmt(f.checkpoint_write_units_per_event)}, held state, ${stage.flushIntervalSeconds} s flush): ${fmt(writeUnits / 1e6)} M units`,
  );
  const readUnits = events * f.read_units_per_event;
  const reads = line(
    'DynamoDB reads',
    (readUnits / 1e6) * d.on_demand_read_units_per_million,
    `${fmt(f.read_units_per_event)} read units per event measured (checkpoint reads, item merges after a cache miss): ${fmt(readUnits / 1e6)} M units`,
  );
  const minutesPerDay = 1_440 * Math.min(1, 60 / fleet.intervalSeconds);
  const items = fleet.hosts * minutesPerDay * stage.windowTtlDays;
  const tableGb = (items * (f.finest_window_item_bytes + A.dynamoItemOverheadBytes)) / GB;
  const storagePrice = d.storage_per_gb_month + (stage.pitr ? d.pitr_per_gb_month : 0);
  const storage = line(
    'DynamoDB storage and PITR',
    tableGb * storagePrice,
    `${fmt(items / 1e6)} M host-minute items kept ${stage.windowTtlDays} days by TTL (${fleet.hosts} hosts × ${fmt(minutesPerDay)} minutes with a sample a day; hour items hold only corrections) × ${fmt(f.finest_window_item_bytes)} B + ${A.dynamoItemOverheadBytes} B overhead = ${fmt(tableGb)} GB × (${usd(d.storage_per_gb_month)} storage${stage.pitr ? ` + ${usd(d.pitr_per_gb_month)} PITR` : ''}); steady state once the TTL turns over`,
  );
  const gsi = line('DynamoDB GSI', 0, 'no GSI: host items keyed by bucket, see docs/hot-path.md');
  return {
    lines: [kinesis, hotPath, writes, reads, storage, gsi],
    records,
    shards,
    hotInvocations,
    hotInvocationsPerS,
    storagePrice,
  };
}
