/**
 * The drop bucket: its prefixes, the objects it notifies of, and the moves between
 * prefixes (a file to `processed/` or `failed/`, with its errors file beside it).
 */
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { InputError } from './input.js';

/** Prefixes of the drop bucket. */
export const DROP_PREFIXES = { incoming: 'incoming/', processed: 'processed/', failed: 'failed/' } as const;

/** One dropped object, as an S3 notification names it. */
export interface DroppedObject {
  bucket: string;
  /** The object key, decoded (not URL-encoded). */
  key: string;
  /** The object version (versioned buckets); otherwise the ETag identifies the content. */
  versionId?: string;
  eTag?: string;
}

/** A rejected row: its 1-based line, what is wrong, and the row as it was. */
export interface RowError extends InputError {
  row: string;
}

/** A dropped file's name under its prefix: `incoming/a/b.csv` → `a/b.csv`. */
export const dropName = (key: string) => key.slice(DROP_PREFIXES.incoming.length);

/**
 * Moves a dropped file to `failed/` whole, beside an errors file giving `reason` (one line,
 * field `file`): nothing is lost, the file is kept as it was. Used for a file that cannot be
 * read (type, size), and by the handler for a file that failed every receive of its
 * notification.
 */
export async function failFile(s3: S3Client, object: DroppedObject, reason: string): Promise<void> {
  await writeErrors(s3, object, [{ index: 0, field: 'file', reason, row: '' }], 0);
  await move(s3, object, `${DROP_PREFIXES.failed}${dropName(object.key)}`);
}

/** Suffix of the errors file written beside `failed/<name>`. */
export const ERRORS_SUFFIX = '.errors.jsonl';

/** Where the errors file of a dropped object goes. */
export const errorsKey = (object: DroppedObject) => `${DROP_PREFIXES.failed}${dropName(object.key)}${ERRORS_SUFFIX}`;

/** Writes the errors file of a dropped object: the rows kept, then how many more were rejected. */
export async function writeErrors(
  s3: S3Client,
  object: DroppedObject,
  errors: RowError[],
  rejected: number,
): Promise<void> {
  const lines = errors.map(({ index, field, reason, row }) => JSON.stringify({ line: index, field, reason, row }));
  if (rejected > errors.length) lines.push(JSON.stringify({ omitted: rejected - errors.length }));
  await s3.send(
    new PutObjectCommand({
      Bucket: object.bucket,
      Key: errorsKey(object),
      Body: `${lines.join('\n')}\n`,
      ContentType: 'application/x-ndjson',
    }),
  );
}

/** Copy, then delete: S3 has no rename. A crash between the two leaves a copy that a retry overwrites. */
export async function move(s3: S3Client, object: DroppedObject, to: string): Promise<void> {
  const source = `${object.bucket}/${object.key
    .split('/')
    .map(encodeURIComponent)
    .join('/')}${object.versionId ? `?versionId=${encodeURIComponent(object.versionId)}` : ''}`;
  await s3.send(new CopyObjectCommand({ Bucket: object.bucket, Key: to, CopySource: source }));
  await s3.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: object.key }));
}
