/**
 * `pulse quarantine list|show`: the records the hot path quarantined (poison,
 * undecodable, invalid or future events), with their reasons, from the window table
 * of a running `pulse start` or, with `--aws`, of a deployed stage.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createDynamoClient } from '#core/clients/dynamodb.js';
import { createKinesisClient, listShards } from '#core/clients/kinesis.js';
import { readLocalEndpoints } from '#local/endpoints.js';
import { SideOutputStore } from '#core/projections/side-outputs.js';
import { windowingConfig } from '#core/windows/config.js';
import { outputFormat, UsageError } from '#cli/args.js';
import type { Command } from '#cli/command.js';
import { formatTable } from '#cli/format-table.js';

const HELP = `pulse quarantine list | show <shard> <position>: the records the hot path
quarantined, with their reasons. Each keeps its bytes, shard and position in the stream.

  list                      one line per record: shard, position, code, reason, bytes
  show <shard> <position>   one record: reason and a hex dump of its bytes
                            (--out FILE writes the bytes as they were in the stream)

Options:
  --data-dir D     the data dir of a running pulse start (default .data)
  --aws            a deployed stage instead (default credentials and region), with
  --table NAME     its WindowTableName output, and
  --stream NAME    its StreamName output
  --format table|json
  --out FILE       with show: write the record's bytes to FILE
  --help           this text`;

async function quarantine(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      aws: { type: 'boolean' },
      table: { type: 'string' },
      stream: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const [verb, shard, position] = positionals;
  if (values.help || (verb !== 'list' && verb !== 'show')) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  const format = outputFormat(values.format);
  let target: { ddb: ReturnType<typeof createDynamoClient>; kinesis: ReturnType<typeof createKinesisClient> };
  let table: string;
  let stream: string;
  if (values.aws) {
    if (!values.table || !values.stream) {
      throw new UsageError('--aws needs --table and --stream: the WindowTableName and StreamName outputs of the stack');
    }
    target = { ddb: createDynamoClient(), kinesis: createKinesisClient() };
    table = values.table;
    stream = values.stream;
  } else {
    const dir = values['data-dir'] ?? '.data';
    const local = readLocalEndpoints(dir);
    if (!local) {
      throw new UsageError(
        `no running pulse start found in ${dir}: the local windows live only while it runs; start it, or use --aws --table NAME --stream NAME`,
      );
    }
    target = {
      ddb: createDynamoClient({ endpoint: local.dynamodb }),
      kinesis: createKinesisClient({ endpoint: local.kinesis }),
    };
    table = local.windowTable;
    stream = local.stream;
  }
  try {
    const store = new SideOutputStore(target.ddb, table, windowingConfig().ttlDays);
    if (verb === 'list') {
      const rows: Record<string, unknown>[] = [];
      for (const s of await listShards(target.kinesis, stream)) {
        for (const q of await store.quarantined(s.ShardId as string)) {
          rows.push({
            shard: s.ShardId,
            position: `${q.sequenceNumber}:${q.subSequenceNumber}`,
            code: q.code,
            reason: q.reason,
            bytes: q.bytes.length,
          });
        }
      }
      if (format === 'json') for (const r of rows) console.log(JSON.stringify(r));
      else console.log(formatTable(rows));
      return 0;
    }
    if (!shard || !position) throw new UsageError('show needs <shard> <position>, as list prints them');
    const [seq, sub = '0'] = position.split(':');
    const found = (await store.quarantined(shard)).find(
      (q) => q.sequenceNumber === seq && String(q.subSequenceNumber) === sub,
    );
    if (!found) throw new UsageError(`no quarantined record at ${shard} ${position}: run pulse quarantine list`);
    if (values.out) writeFileSync(values.out, found.bytes);
    const record = {
      shard,
      position: `${found.sequenceNumber}:${found.subSequenceNumber}`,
      code: found.code,
      reason: found.reason,
      bytes: found.bytes.length,
    };
    if (format === 'json') console.log(JSON.stringify({ ...record, base64: found.bytes.toString('base64') }));
    else {
      for (const [k, v] of Object.entries(record)) console.log(`${k.padEnd(9)}${v}`);
      console.log(hexDump(found.bytes.subarray(0, 512)));
      if (found.bytes.length > 512)
        console.log(`… ${found.bytes.length - 512} more bytes (--out FILE writes them all)`);
    }
    return 0;
  } finally {
    target.ddb.destroy();
    target.kinesis.destroy();
  }
}

/** 16 bytes a line: offset, hex, printable ASCII. */
function hexDump(b: Buffer): string {
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 16) {
    const row = b.subarray(i, i + 16);
    const hex = [...row].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    const text = [...row].map((x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${i.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${text}`);
  }
  return lines.join('\n');
}

/** `pulse quarantine list | show`: without a verb, its help and exit 2. */
export const quarantineCommand: Command = {
  name: 'quarantine',
  usage: `  pulse quarantine list | show <shard> <position>
                            records the hot path quarantined, with their reasons and bytes`,
  help: HELP,
  run: quarantine,
};
