/**
 * `pulse redrive`: makes the hot path's failed batches count. Rebuilds the windows their
 * events fall in from the stream, then removes each failed batch (see core/ops/redrive.ts).
 */
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '#core/contract/registry.js';
import { redrive } from '#core/ops/redrive.js';
import { windowingConfigFromEnv } from '#core/windows/config.js';
import { ensureWindowTable } from '#local/tables.js';
import { UsageError } from '#cli/args.js';
import type { Command } from '#cli/command.js';
import { repairTarget, TARGET_OPTIONS } from '#cli/repair-target.js';

const HELP = `pulse redrive: make the batches the hot path gave up on count. Reads the objects of
its S3 on-failure destination (each holds a failed batch as Lambda received it),
rebuilds from the stream exactly the windows their events fall in (a failed batch may
have been half applied, and the live checkpoint has moved past it), and removes each
object only after that. Stop the hot path first in AWS (see pulse rebuild).

Options:
  --data-dir D                   the data dir of a running pulse start (default .data)
  --aws --stage S --bucket NAME  a deployed stage and its FailureBucketName output
  --help                         this text`;

async function redriveBatches(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...TARGET_OPTIONS,
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.aws && !values.bucket) {
    throw new UsageError('--aws needs --stage NAME and --bucket NAME (the FailureBucketName output of the stack)');
  }
  const target = repairTarget(values, ' --bucket NAME');
  const { streamName, liveTable } = target;
  const bucket = target.stage === undefined ? target.localBucket : (values.bucket as string);
  const prefix = target.stage === undefined ? 'aws/lambda/hot-path/' : 'aws/lambda/';
  const freshTable = `${liveTable}-redrive-${Date.now()}`;
  try {
    await ensureWindowTable(target.ddb, freshTable);
    const result = await redrive({
      kinesis: target.kinesis,
      ddb: target.ddb,
      s3: target.s3,
      bucket,
      prefix,
      streamName,
      liveTable,
      freshTable,
      registry: SchemaRegistry.load(),
      config: windowingConfigFromEnv(process.env),
    });
    console.log(JSON.stringify(result));
    return 0;
  } finally {
    target.destroy();
  }
}

/** `pulse redrive`: prints what it redrove as one JSON line. */
export const redriveCommand: Command = {
  name: 'redrive',
  usage: "  pulse redrive               make the hot path's failed batches count, then remove them",
  help: HELP,
  run: redriveBatches,
};
