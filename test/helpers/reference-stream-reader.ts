/**
 * An independent reader of the stream, for the oracle and the event ledger. It shares
 * no code with what it checks (core/contract, local/streams.ts, the project's
 * Kinesis client module), so a bug there cannot hide itself by being read back the
 * same way:
 * - schemas: the `.avsc` files of schemas/ read from disk and parsed by avsc
 *   (`Type.forSchema` on their JSON); the latest version of each name is the reader,
 *   every version a writer resolved to it. No logical type is registered, so
 *   `occurred_at` (`timestamp-millis`) comes back as the long it is on the wire;
 * - fingerprints: CRC-64-AVRO written here from the Avro specification (the Rabin
 *   fingerprint, `EMPTY = 0xc15d213aa4d7a795`) over avsc's Parsing Canonical Form,
 *   checked when this module loads against the specification's own vectors
 *   (test/fixtures/avro-spec-fingerprints.json);
 * - single-object encoding: `C3 01`, the 8-byte little-endian fingerprint, the body,
 *   parsed here;
 * - KPL: the reference de-aggregator `aws-kinesis-agg` (`deaggregateSync`), fed the
 *   record as a Lambda event carries it (data in base64), MD5 checked; its user records
 *   come back in base64 too;
 * - Kinesis: ListShards and GetRecords sent with the SDK's commands directly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import avro from 'avsc';
import { deaggregateSync, type UserRecord } from 'aws-kinesis-agg';
// The shape only (erased at runtime): this reader still runs none of core's code.
import type { LambdaKinesisData } from '#core/lambda/events.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ---- CRC-64-AVRO --------------------------------------------------------------------------

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;
const TABLE = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
  return fp;
});

/** CRC-64-AVRO of a schema's canonical form, unsigned (the specification's `fingerprint64`). */
export function crc64Avro(canonical: string): bigint {
  let fp = EMPTY;
  for (const b of Buffer.from(canonical, 'utf8')) fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(b)) & 0xffn)] as bigint);
  return fp;
}

/** The specification's vectors, checked once: a wrong table would make every event look unknown, or worse, known. */
function checkAgainstSpecVectors(): void {
  const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/avro-spec-fingerprints.json'), 'utf8')) as {
    cases: { canonical: string; fingerprint?: string }[];
  };
  let checked = 0;
  for (const c of fixture.cases) {
    if (c.fingerprint === undefined) continue;
    const got = BigInt.asIntN(64, crc64Avro(c.canonical)).toString();
    if (got !== c.fingerprint)
      throw new Error(`CRC-64-AVRO of ${c.canonical}: ${got}, the specification says ${c.fingerprint}`);
    checked++;
  }
  if (checked < 10)
    throw new Error(`only ${checked} fingerprint vectors in the fixture: expected the specification's set`);
}
checkAgainstSpecVectors();

// ---- events ---------------------------------------------------------------------------------

/** The event types the reader knows, by the record name of their schemas. */
export type ReadEventType = 'MetricSample' | 'LogEvent';

/** One event as the reference reader sees it. */
export interface ReadEvent {
  type: ReadEventType;
  producerId: string;
  producerSeq: number;
  /** `occurred_at`, epoch ms, read as the long it is on the wire. */
  occurredAt: number;
  host: string;
  /** MetricSample only. */
  metric?: string;
  value?: number;
  /** MetricSample only: its histogram (v3), null for a plain sample and for v1 and v2 data. */
  histogram?: ReadHistogram | null;
  /** LogEvent only. */
  service?: string;
  level?: string;
}

/** A MetricSample's `histogram` field (schemas/metric-sample/v3.avsc) as read, longs as numbers. */
export interface ReadHistogram {
  count: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  bounds: number[];
  counts: number[];
}

/** A histogram field's record as avsc gives it (or a producer's body holds it), in the reader's shape. */
export function readHistogram(h: unknown): ReadHistogram | null {
  if (h === null || h === undefined) return null;
  const r = h as Record<string, unknown>;
  return {
    count: r.count as number,
    sum: r.sum as number | null,
    min: r.min as number | null,
    max: r.max as number | null,
    bounds: [...(r.bucket_bounds as number[])],
    counts: [...(r.bucket_counts as number[])],
  };
}

/** The identity of an event, `<producer_id>/<producer_seq>`: what exactly-once is defined on. */
export function eventKey(producerId: string, producerSeq: number): string {
  return `${producerId}/${producerSeq}`;
}

/** Why the reference reader refused some bytes. */
export class ReferenceDecodeError extends Error {}

interface Writer {
  type: ReadEventType;
  resolver: avro.Resolver;
  reader: avro.Type;
}

/** The schema files under schemas/, each parsed once: writers by fingerprint (hex, as on the wire), resolved to the latest. */
function loadWriters(): Map<string, Writer> {
  const byName = new Map<string, { version: number; type: avro.Type }[]>();
  for (const dir of readdirSync(join(ROOT, 'schemas'), { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(join(ROOT, 'schemas', dir.name))) {
      const m = /^v(\d+)\.avsc$/.exec(file);
      if (!m) continue;
      const type = avro.Type.forSchema(JSON.parse(readFileSync(join(ROOT, 'schemas', dir.name, file), 'utf8')));
      const name = (type.name ?? '').split('.').pop() as string;
      byName.set(name, [...(byName.get(name) ?? []), { version: Number(m[1]), type }]);
    }
  }
  const writers = new Map<string, Writer>();
  for (const [name, versions] of byName) {
    if (name !== 'MetricSample' && name !== 'LogEvent') continue;
    const reader = versions.reduce((a, b) => (b.version > a.version ? b : a)).type;
    for (const v of versions) {
      const fp = Buffer.alloc(8);
      fp.writeBigUInt64LE(crc64Avro(JSON.stringify(v.type.schema())));
      writers.set(fp.toString('hex'), { type: name, resolver: reader.createResolver(v.type), reader });
    }
  }
  if (writers.size === 0) throw new Error('no MetricSample or LogEvent schema under schemas/');
  return writers;
}

/** Decodes single-object encoded events with the schema files (see the module comment). */
export class ReferenceDecoder {
  private readonly writers = loadWriters();

  /** One single-object event. @throws ReferenceDecodeError */
  decodeEvent(bytes: Buffer): ReadEvent {
    if (bytes.length < 10 || bytes[0] !== 0xc3 || bytes[1] !== 0x01)
      throw new ReferenceDecodeError('not single-object encoded (no C3 01 marker)');
    const fingerprint = bytes.subarray(2, 10).toString('hex');
    const w = this.writers.get(fingerprint);
    if (!w) throw new ReferenceDecodeError(`no schema file has the fingerprint ${fingerprint}`);
    let e: Record<string, unknown>;
    try {
      e = w.reader.fromBuffer(bytes.subarray(10), w.resolver) as Record<string, unknown>;
    } catch (error) {
      throw new ReferenceDecodeError(`the body does not decode with its writer schema: ${(error as Error).message}`);
    }
    const common = {
      type: w.type,
      producerId: e.producer_id as string,
      producerSeq: e.producer_seq as number,
      occurredAt: e.occurred_at as number,
      host: e.host as string,
    };
    return w.type === 'MetricSample'
      ? { ...common, metric: e.metric as string, value: e.value as number, histogram: readHistogram(e.histogram) }
      : { ...common, service: e.service as string, level: e.level as string };
  }

  /**
   * The user records of one Kinesis record, by the reference de-aggregator, from the
   * base64 a Lambda event carries. A plain (not aggregated) record is one user record
   * (sub-sequence 0); an aggregate that does not parse is one user record of its bytes.
   */
  userRecords(record: Pick<LambdaKinesisData, 'data' | 'partitionKey' | 'sequenceNumber'>): {
    sub: number;
    bytes: Buffer;
  }[] {
    let out: UserRecord[] | undefined;
    let failed = false;
    deaggregateSync(
      { ...record, kinesisSchemaVersion: '1.0', approximateArrivalTimestamp: 0 },
      true,
      (error, records) => {
        if (error) failed = true;
        else out = records;
      },
    );
    if (failed || !out) return [{ sub: 0, bytes: Buffer.from(record.data, 'base64') }];
    return out.map((u) => ({ sub: u.subSequenceNumber ?? 0, bytes: Buffer.from(u.data, 'base64') }));
  }
}

// ---- the stream -----------------------------------------------------------------------------

/** One Kinesis record as read: its position, arrival and user records. */
export interface ReadRecord {
  sequenceNumber: string;
  arrivalMs: number;
  userRecords: { sub: number; bytes: Buffer }[];
}

/** One shard, in stream order, with its parents' ids. */
export interface ReadShard {
  shardId: string;
  parents: string[];
  records: ReadRecord[];
}

/** Every shard of a stream (ListShards, paged), in the order Kinesis lists them (parents before children). */
async function shardsOf(kinesis: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await kinesis.send(
      token ? new ListShardsCommand({ NextToken: token }) : new ListShardsCommand({ StreamName: streamName }),
    );
    shards.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token);
  return shards;
}

/** Every record of every shard, from the trim horizon to the shard's current end, de-aggregated. */
export async function readStream(
  kinesis: KinesisClient,
  streamName: string,
  decoder: ReferenceDecoder,
): Promise<ReadShard[]> {
  const out: ReadShard[] = [];
  for (const s of await shardsOf(kinesis, streamName)) {
    const shardId = s.ShardId as string;
    const records: ReadRecord[] = [];
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    while (iterator) {
      // (records are up to 1 MB each: a small page keeps a read far below kinesalite's heap)
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 50 }));
      const got = page.Records ?? [];
      if (got.length === 0) break;
      for (const r of got) {
        const sequenceNumber = r.SequenceNumber as string;
        records.push({
          sequenceNumber,
          arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
          userRecords: decoder.userRecords({
            data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
            partitionKey: r.PartitionKey ?? '',
            sequenceNumber,
          }),
        });
      }
      iterator = page.NextShardIterator;
    }
    const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p);
    out.push({ shardId, parents, records });
  }
  return out;
}
