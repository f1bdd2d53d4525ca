/**
 * Thin typed access to the reference implementation `aws-kinesis-agg`, used by
 * tests to prove byte compatibility of core/contract/kpl.ts both ways.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface RefUserRecord {
  partitionKey: string;
  explicitPartitionKey?: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  data: string;
}
interface RefAggregator {
  addUserRecord(r: { partitionKey: string; explicitHashKey?: string; data: Buffer }): void;
  build(): { partitionKey: string; data: Buffer; ExplicitHashKey?: string };
}
const ref = require('aws-kinesis-agg') as {
  RecordAggregator: new () => RefAggregator;
  deaggregateSync(
    record: { data: string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    cb: (err: Error | null, records?: RefUserRecord[]) => void,
  ): void;
};

/** Aggregates with aws-kinesis-agg's RecordAggregator. */
export function refAggregate(records: { partitionKey: string; explicitHashKey?: string | undefined; data: Buffer }[]) {
  const a = new ref.RecordAggregator();
  for (const r of records) {
    a.addUserRecord(
      r.explicitHashKey === undefined
        ? { partitionKey: r.partitionKey, data: r.data }
        : { partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, data: r.data },
    );
  }
  return a.build();
}

/** De-aggregates with aws-kinesis-agg (Lambda event shape: base64 data). */
export function refDeaggregate(data: Buffer, partitionKey = 'pk'): RefUserRecord[] {
  let out: RefUserRecord[] = [];
  let failure: Error | null = null;
  ref.deaggregateSync({ data: data.toString('base64'), partitionKey, sequenceNumber: '1' }, true, (err, records) => {
    failure = err;
    out = records ?? [];
  });
  if (failure) throw failure;
  return out;
}
