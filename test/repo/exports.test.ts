import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve('.');

/** A CDK app of another team: Pulse and its own CDK libraries in node_modules, nothing else. */
function consumerProject(code: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repo, join(dir, 'node_modules', 'pulse'));
  for (const dep of ['aws-cdk-lib', 'constructs'])
    symlinkSync(join(repo, 'node_modules', dep), join(dir, 'node_modules', dep));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(dir, 'app.ts'), code);
  return dir;
}

describe('package exports', () => {
  it('let another CDK app use the construct, the producer and the consumer API', async () => {
    // Prepare
    const dir = consumerProject(`
import { App, Stack } from 'aws-cdk-lib';
import { PulsePipeline } from 'pulse/construct';
import { StreamDecoder } from 'pulse/consumer';
import { Producer } from 'pulse/producer';
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'Team');
const pulse = new PulsePipeline(stack, 'Pulse', { stage: 'team', streamMode: 'provisioned', shardCount: 3 });
const resources = Object.values(app.synth().getStackByName('Team').template.Resources);
const stream = resources.find((r) => r.Type === 'AWS::Kinesis::Stream');
console.log(JSON.stringify({ decoder: typeof StreamDecoder, producer: typeof Producer, stage: pulse.config.stage, shards: stream.Properties.ShardCount, name: stream.Properties.Name }));
`);

    // Act
    const { stdout } = await run(join(repo, 'node_modules/.bin/tsx'), ['app.ts'], { cwd: dir });

    // Assess
    expect(JSON.parse(stdout.trim())).toEqual({
      decoder: 'function',
      producer: 'function',
      stage: 'team',
      shards: 3,
      name: 'pulse-team-events',
    });
  });

  it('keep the internals private', async () => {
    // Prepare
    const dir = consumerProject(`import 'pulse/core/projections/checkpoints.ts';`);

    // Act / Assess
    await expect(run(join(repo, 'node_modules/.bin/tsx'), ['app.ts'], { cwd: dir })).rejects.toMatchObject({
      stderr: expect.stringContaining('ERR_PACKAGE_PATH_NOT_EXPORTED'),
    });
  });

  it('refuse invalid settings with the exact message', async () => {
    // Prepare
    const dir = consumerProject(`
import { App, Stack } from 'aws-cdk-lib';
import { PulsePipeline } from 'pulse/construct';
new PulsePipeline(new Stack(new App(), 'S'), 'Pulse', { streamMode: 'on-demand', shardCount: 2 });
`);

    // Act / Assess
    await expect(run(join(repo, 'node_modules/.bin/tsx'), ['app.ts'], { cwd: dir })).rejects.toMatchObject({
      stderr: expect.stringContaining(
        "context 'shardCount' applies only with streamMode 'provisioned': remove it or set streamMode",
      ),
    });
  });
});
