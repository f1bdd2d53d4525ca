import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('examples/consume-stream.ts (the consumer README example)', () => {
  it.each([
    ['2', 'written v2'],
    ['1', 'written v2'],
  ])('runs self-contained and prints every event, read as MetricSample v%s', async (reader, marker) => {
    // Act
    const { stdout, stderr } = await run('npx', ['tsx', 'examples/consume-stream.ts', '--reader-version', reader]);
    // Assess: 2 hosts × 5 metrics + 2 log lines
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBe(12);
    expect(lines.filter((l) => l.includes(marker)).length).toBe(10);
    expect(lines.filter((l) => / (api|checkout|auth) (INFO|WARN|ERROR|FATAL)$/.test(l)).length).toBe(2);
    expect(stderr).not.toContain('skipped');
  });
});
