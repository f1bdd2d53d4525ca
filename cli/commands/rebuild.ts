/**
 * `pulse rebuild --from <time> --to <time>`: re-derives the windows from the stream or
 * the Parquet archive into a fresh table, compares the range with the live windows, and
 * with `--in-place` copies them over (see core/ops/rebuild.ts).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '#core/contract/registry.js';
import { syncLake } from '#core/lake/lake-query.js';
import { ArchiveReader } from '#core/ops/archive.js';
import { rebuild, type RebuildProgress } from '#core/ops/rebuild.js';
import { windowingConfigFromEnv } from '#core/windows/config.js';
import { ensureWindowTable } from '#local/tables.js';
import { UsageError } from '#cli/args.js';
import type { Command } from '#cli/command.js';
import { repairTarget, TARGET_OPTIONS } from '#cli/repair-target.js';

const HELP = `pulse rebuild --from <time> --to <time>: re-derive the event-time windows from the
log into a fresh table, shard by shard from its start (as the live projection read
it), compare the windows of [from, to) with the live ones item by item, and print the
differences. With --in-place, copy the rebuilt windows of the range over the live
ones (stop the hot path first in AWS: a concurrent write would be overwritten).

The log is read from:
  --source stream    the stream, from TRIM_HORIZON (default). Exact while its retention
                     (7 days by default) covers everything the live projection read.
  --source archive   the Parquet archive (the lake), for data older than the retention.
                     Each row keeps its shard, sequence number and arrival time, so the
                     replay takes the live decisions (late, duplicate) again. The archive
                     lags the stream by the delivery buffer (up to 15 minutes in AWS):
  --stream-from T    with --source archive: records that arrived before T from the
                     archive, the rest from the stream (AT_TIMESTAMP T), so the newest
                     windows are exact too. T must be within the stream's retention.

Options:
  --from T, --to T   ISO-8601 times with a zone, or epoch milliseconds
  --in-place         copy the rebuilt windows over the live ones
  --data-dir D       the data dir of a running pulse start (default .data); the archive
                     is synced to D/lake
  --aws --stage S    a deployed stage instead (default credentials and region); with
                     --source archive also --bucket NAME (the LakeBucketName output)
  --help             this text`;

/** A `--from`/`--to` time: ISO-8601 with a zone, or epoch milliseconds. @throws UsageError naming the flag */
function time(flag: string, raw: string | undefined): number {
  const ms = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw ?? '');
  if (raw === undefined || Number.isNaN(ms)) {
    throw new UsageError(
      `--${flag} must be an ISO-8601 time (2026-11-22T10:00:00Z) or epoch milliseconds, got '${raw ?? ''}'`,
    );
  }
  return ms;
}

/**
 * One line of progress: a bar over the archive's records when their number is known
 * (records from the stream are past its end), else over the shards.
 */
export function progressBar(p: RebuildProgress, width = 30): string {
  const fraction =
    p.archiveRecords !== undefined && p.archiveRecords > 0
      ? Math.min(1, p.records / p.archiveRecords)
      : p.shards > 0
        ? p.shardsDone / p.shards
        : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(fraction * 100)}%`;
  return `${bar}  ${p.records.toLocaleString('en-US')} records  shard ${p.shardsDone}/${p.shards}`;
}

async function rebuildWindows(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      source: { type: 'string' },
      'stream-from': { type: 'string' },
      'in-place': { type: 'boolean' },
      ...TARGET_OPTIONS,
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const from = time('from', values.from);
  const to = time('to', values.to);
  if (to <= from) throw new UsageError('--to must be after --from');
  const source = values.source ?? 'stream';
  if (source !== 'stream' && source !== 'archive') {
    throw new UsageError(`--source must be stream or archive, got '${source}'`);
  }
  if (values['stream-from'] !== undefined && source !== 'archive') {
    throw new UsageError(
      '--stream-from needs --source archive: the records before that time must come from the archive',
    );
  }
  const streamFrom = values['stream-from'] === undefined ? undefined : time('stream-from', values['stream-from']);
  if (values.aws && source === 'archive' && !values.bucket) {
    throw new UsageError('--source archive with --aws needs --bucket NAME (the LakeBucketName output of the stack)');
  }
  const target = repairTarget(values, '');
  const { kinesis, ddb, s3, streamName, liveTable } = target;
  const bucket = target.stage === undefined ? target.localBucket : (values.bucket ?? '');
  const lakeDir = join(target.dataDir, target.stage === undefined ? 'lake' : `lake-${target.stage}`);
  const freshTable = `${liveTable}-rebuild-${Date.now()}`;
  let archive: ArchiveReader | undefined;
  try {
    if (source === 'archive') {
      const files = await syncLake(s3, bucket, lakeDir);
      process.stderr.write(`archive: ${files} new Parquet files from s3://${bucket} in ${lakeDir}\n`);
      archive = await ArchiveReader.open(SchemaRegistry.load(), lakeDir);
    }
    await ensureWindowTable(ddb, freshTable);
    process.stderr.write(
      `rebuilding into ${freshTable} from ${source === 'stream' ? `stream ${streamName}` : streamFrom === undefined ? 'the archive' : `the archive, then stream ${streamName} from ${new Date(streamFrom).toISOString()}`}\n`,
    );
    const result = await rebuild({
      kinesis,
      streamName,
      ddb,
      liveTable,
      freshTable,
      registry: SchemaRegistry.load(),
      config: windowingConfigFromEnv(process.env),
      from,
      to,
      inPlace: values['in-place'] ?? false,
      ...(archive ? { archive } : {}),
      ...(streamFrom === undefined ? {} : { streamFrom }),
      onProgress: (p) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${progressBar(p)}`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    for (const d of result.differing) console.log(`differs  ${d.pk}  ${d.sk}`);
    console.log(
      JSON.stringify({
        source,
        fresh_table: freshTable,
        records: result.records,
        windows: result.windows,
        events: result.events,
        differing: result.differing.length,
        copied: result.copied,
      }),
    );
    return result.differing.length === 0 || values['in-place'] ? 0 : 1;
  } finally {
    archive?.close();
    target.destroy();
  }
}

/** `pulse rebuild`: exit 1 when windows of the range differ and were not repaired (no `--in-place`). */
export const rebuildCommand: Command = {
  name: 'rebuild',
  usage: `  pulse rebuild --from T --to T [--in-place]
                            re-derive the windows from the stream and compare (or repair)`,
  help: HELP,
  run: rebuildWindows,
};
