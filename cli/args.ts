/** Command-line argument helpers shared by the `pulse` commands. */

/** A command-line mistake: printed without a stack trace, exit code 2. Its message says what to pass instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An integer flag ≥ `min`, or `fallback` when absent. @throws UsageError naming the flag */
export function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

/** A number of seconds ≥ `min` (decimals allowed), or `fallback` when absent. @throws UsageError naming the flag */
export function seconds(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new UsageError(`--${name} must be a number of seconds ≥ ${min}, got '${raw}'`);
  }
  return n;
}

/** `--format`: `table` (the default) or `json`. @throws UsageError naming the flag */
export function outputFormat(raw: string | undefined): 'table' | 'json' {
  const format = raw ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got '${format}'`);
  return format;
}
