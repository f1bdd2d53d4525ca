/**
 * `pulse status`: the health counters of a running `pulse start` (its dashboard API),
 * or with `--aws` the health of a deployed stage (read by cli/status-aws.ts).
 */
import { parseArgs } from 'node:util';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GlueClient } from '@aws-sdk/client-glue';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { STAGE_PATTERN } from '#core/resources.js';
import { outputFormat, positiveInt, UsageError } from '#cli/args.js';
import type { Command } from '#cli/command.js';
import { formatTable } from '#cli/format-table.js';
import { awsStatus } from '#cli/status-aws.js';

const HELP = `pulse status [--port N]: print the health counters of a running pulse start
(events in, windowed, delivered, windows written, late, quarantined, latency, lag,
Parquet files and rows), read from its dashboard on 127.0.0.1:N (default 8321).

pulse status --aws --stage NAME [--format json]: a deployed stage (default AWS
credentials and region): the stream's status, open shards and iterator age (last 15
minutes), each delivery stream's status (Firehose), and whether the Glue tables still
have the columns of the .avsc files, naming each drifted column. Exit 1 unless healthy.`;

async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      aws: { type: 'boolean' },
      stage: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.aws) return statusAws(values.stage, values.format);
  const port = positiveInt('port', values.port, 8321);
  let health: Record<string, unknown>;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/health`);
    health = (await res.json()) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`no pulse start answers on port ${port}: start one (npx pulse start) or pass --port`, {
      cause: error,
    });
  }
  // Nested groups (the SLIs) print one row per member: sli.ingestAvailability, …
  const rows = Object.entries(health).flatMap(([name, value]) =>
    value !== null && typeof value === 'object'
      ? Object.entries(value).map(([k, v]) => ({ name: `${name}.${k}`, value: v ?? '—' }))
      : [{ name, value: value ?? '—' }],
  );
  console.log(formatTable(rows));
  return 0;
}

/** `pulse status --aws`: prints the stage's health; exit 1 unless healthy. @throws UsageError for a bad stage or format */
async function statusAws(stage: string | undefined, rawFormat: string | undefined): Promise<number> {
  if (!stage || !STAGE_PATTERN.test(stage)) {
    throw new UsageError(
      `--aws needs --stage NAME (the stage deployed with cdk deploy -c stage=NAME), got '${stage ?? ''}'`,
    );
  }
  const format = outputFormat(rawFormat);
  const s = await awsStatus(
    {
      kinesis: createKinesisClient(),
      cloudwatch: new CloudWatchClient({}),
      firehose: new FirehoseClient({}),
      glue: new GlueClient({}),
    },
    stage,
    SchemaRegistry.load(),
  );
  if (format === 'json') {
    console.log(JSON.stringify(s));
    return s.healthy ? 0 : 1;
  }
  const age = s.stream.iteratorAgeMs === null ? 'no data (15 min)' : `${s.stream.iteratorAgeMs} ms`;
  console.log(
    `stream   ${s.stream.name}  ${s.stream.status}  ${s.stream.openShards} open shards  retention ${s.stream.retentionHours} h  iterator age ${age}`,
  );
  for (const d of s.deliveryStreams) console.log(`delivery ${d.name}  ${d.status}${d.failure ? `  ${d.failure}` : ''}`);
  if (s.drift.length === 0) console.log('glue     the lake tables match the .avsc files');
  for (const d of s.drift) console.log(`DRIFT    ${d.message}`);
  return s.healthy ? 0 : 1;
}

/** `pulse status [--port N]`, or `pulse status --aws --stage NAME`: exit 1 unless the stage is healthy. */
export const statusCommand: Command = {
  name: 'status',
  usage: `  pulse status [--port N]   health of a running pulse start (its dashboard API)
  pulse status --aws --stage NAME
                            a deployed stage: stream, delivery streams, Glue drift`,
  help: HELP,
  run: status,
};
