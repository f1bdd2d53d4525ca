/** Powertools Logger lines captured from stdout and stderr, and a Lambda context to attach to them. */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';

/** One structured log line as Powertools writes it. */
export type LogLine = Record<string, unknown> & { message: string; level: string };

/**
 * A Logger whose lines land in `lines()` (stdout and stderr are captured until
 * `restore()`; restore them before asserting, or vitest's own output is captured too).
 * Call it after captureEmf, whose documents then still land in its own list.
 */
export function captureLogs(serviceName: string): { logger: Logger; lines: () => LogLine[]; restore: () => void } {
  const chunks: string[] = [];
  // A capture already in place (captureEmf's) keeps getting every chunk.
  const spy = (stream: NodeJS.WriteStream) => {
    const write: unknown = stream.write;
    const before = vi.isMockFunction(write) ? write.getMockImplementation() : undefined;
    return vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      before?.(chunk);
      return true;
    });
  };
  const out = spy(process.stdout);
  const err = spy(process.stderr);
  return {
    logger: new Logger({ serviceName, logLevel: 'INFO' }),
    lines: () =>
      chunks
        .flatMap((c) => c.split('\n'))
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine)
        .filter((l) => typeof l.message === 'string' && !('_aws' in l)),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** A Lambda context as the runtime passes it, with `awsRequestId` and the function's names. */
export function fakeContext(awsRequestId: string, functionName = 'pulse-test-function', remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/12/07/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
