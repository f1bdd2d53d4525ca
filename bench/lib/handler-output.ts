/**
 * What the hot-path handler prints while a bench invokes it: EMF documents and log lines,
 * counted and swallowed (in AWS they are CloudWatch Logs ingestion, billed per GB), and
 * the distinct custom metrics the EMF documents define (CloudWatch bills each).
 */

/** EMF document shape, as far as custom metrics go. */
type EmfDocument = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

/** Counts what is written to stdout inside {@link HandlerOutput.swallow}; other writes pass through. */
export class HandlerOutput {
  /** Bytes and count of EMF documents and of other lines since the last {@link reset}. */
  readonly written = { emfBytes: 0, emfDocuments: 0, logBytes: 0, logLines: 0 };
  /** Distinct (metric, dimensions and their values) of the EMF documents. */
  readonly customMetrics = new Set<string>();
  private swallowing = false;

  /** Installs the counting hook on `process.stdout` (once per process). */
  constructor() {
    const stdoutWrite = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (!this.swallowing) return stdoutWrite(chunk, ...rest);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      for (const line of text.split('\n')) if (line !== '') this.count(line);
      return true;
    }) as typeof process.stdout.write;
  }

  /** Starts counting afresh. */
  reset(): void {
    Object.assign(this.written, { emfBytes: 0, emfDocuments: 0, logBytes: 0, logLines: 0 });
    this.customMetrics.clear();
  }

  /** Runs `fn` with stdout counted and swallowed. */
  async swallow<T>(fn: () => Promise<T>): Promise<T> {
    this.swallowing = true;
    try {
      return await fn();
    } finally {
      this.swallowing = false;
    }
  }

  private count(line: string): void {
    const bytes = Buffer.byteLength(line) + 1;
    if (!line.includes('"_aws"')) {
      this.written.logBytes += bytes;
      this.written.logLines++;
      return;
    }
    this.written.emfBytes += bytes;
    this.written.emfDocuments++;
    const doc = JSON.parse(line) as EmfDocument;
    for (const d of doc._aws.CloudWatchMetrics) {
      for (const set of d.Dimensions) {
        const dims = set.map((k) => `${k}=${String(doc[k])}`).join(',');
        for (const m of d.Metrics) this.customMetrics.add(`${d.Namespace}/${m.Name}{${dims}}`);
      }
    }
  }
}
