/** Powertools Metrics writing EMF to a captured stdout (vitest switches Metrics off: see vitest.config.ts). */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';

/** An EMF document as Powertools writes it. */
export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

/**
 * A Metrics instance whose documents land in `documents()` (stdout is captured until
 * `restore()`; restore it before asserting, or vitest's own output is captured too).
 */
export function captureEmf(serviceName = 'hot-path'): {
  metrics: Metrics;
  documents: () => EmfDocument[];
  restore: () => void;
} {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const metrics = new Metrics({ namespace: 'Pulse', serviceName });
  process.env.POWERTOOLS_METRICS_DISABLED = previous;
  return {
    metrics,
    documents: () =>
      lines
        .flatMap((l) => l.split('\n'))
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as EmfDocument)
        .filter((d) => '_aws' in d),
    restore: () => spy.mockRestore(),
  };
}

/** The dimension names of a document, sorted. */
export const dimensionsOf = (d: EmfDocument): string[][] =>
  (d._aws.CloudWatchMetrics[0]?.Dimensions ?? []).map((names) => [...names].sort());
