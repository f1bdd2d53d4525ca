/**
 * `pulse collect`: the host agent. Reads this machine at an interval and produces
 * to the local stack of a running `pulse start` (found through its data dir) or,
 * with `--aws`, to a deployed stream with the default AWS credentials.
 */
import { parseArgs } from 'node:util';
import { createKinesisClient } from '#core/clients/kinesis.js';
import { SchemaRegistry } from '#core/contract/registry.js';
import { readLocalEndpoints } from '#local/endpoints.js';
import { HostAgent } from '#core/sources/host-agent.js';
import { positiveInt, seconds, UsageError } from '#cli/args.js';
import type { Command } from '#cli/command.js';

const HELP = `pulse collect: the host agent. Reads this machine's CPU, memory, disk and network
(the five standard metrics) every interval and produces them to the stream. When the
stream is unreachable it keeps reading and buffers up to --buffer samples, retrying;
beyond that it drops new samples and says so. Ctrl-C sends what is buffered, then
prints one JSON line: collected, produced, dropped.

Options:
  --interval S   seconds between readings (default 10)
  --count N      stop after N readings (default: until Ctrl-C)
  --host NAME    host label (default: this machine's hostname)
  --buffer N     samples held while the stream is unreachable (default 100000)
  --data-dir D   the data dir of a running pulse start (default .data): local mode
  --aws          produce to AWS instead (default credentials and region)
  --stream NAME  the stream, with --aws (the stack's StreamName output)
  --help         this text`;

async function collect(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      interval: { type: 'string' },
      count: { type: 'string' },
      host: { type: 'string' },
      buffer: { type: 'string' },
      'data-dir': { type: 'string' },
      aws: { type: 'boolean' },
      stream: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const intervalMs = seconds('interval', values.interval, 10, 0.1) * 1000;
  const count = values.count === undefined ? undefined : positiveInt('count', values.count, 1);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let kinesis;
  let streamName: string;
  if (values.aws) {
    if (!values.stream) throw new UsageError('--aws needs --stream NAME: the StreamName output of the deployed stack');
    kinesis = createKinesisClient();
    streamName = values.stream;
  } else {
    if (values.stream) throw new UsageError('--stream applies only with --aws: local mode reads it from the data dir');
    const dir = values['data-dir'] ?? '.data';
    const local = readLocalEndpoints(dir);
    if (!local) {
      throw new UsageError(
        `no local stack found in ${dir}: run npx pulse start first (or pass its --data-dir), or use --aws --stream NAME`,
      );
    }
    kinesis = createKinesisClient({ endpoint: local.kinesis });
    streamName = local.stream;
  }
  let agent: HostAgent;
  try {
    agent = await HostAgent.create({
      target: { kinesis, streamName, registry: SchemaRegistry.load() },
      intervalMs,
      ...(values.host ? { host: values.host } : {}),
      maxBufferedEvents: positiveInt('buffer', values.buffer, 100_000),
      log,
    });
  } catch (error) {
    kinesis.destroy();
    throw new UsageError(
      `cannot reach stream ${streamName}: ${(error as Error).message}` +
        (values.aws ? ': check credentials, region and the name' : ': is pulse start running on that data dir?'),
    );
  }
  log(`collecting this machine every ${intervalMs / 1000} s → ${streamName}${values.aws ? ' (AWS)' : ' (local)'}`);
  let stopping = false;
  let wake: () => void = () => {};
  process.once('SIGINT', () => {
    log('stopping: sending what is buffered (Ctrl-C again to abandon it)…');
    process.once('SIGINT', () => process.exit(130));
    stopping = true;
    wake();
  });
  for (let n = 0; !stopping && (count === undefined || n < count); n++) {
    if (n > 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs);
      });
      if (stopping) break;
    }
    await agent.collectOnce();
  }
  const stats = await agent.stop();
  kinesis.destroy();
  console.log(JSON.stringify(stats));
  return stats.dropped > 0 ? 1 : 0;
}

/** `pulse collect`: exit 1 when samples were dropped (the stream was unreachable for longer than --buffer holds). */
export const collectCommand: Command = {
  name: 'collect',
  usage: "  pulse collect [options]   host agent: this machine's CPU, memory, disk, network → the stream",
  help: HELP,
  run: collect,
};
