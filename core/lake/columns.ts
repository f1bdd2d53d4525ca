/**
 * Lake columns generated from the `.avsc` files (latest version of each type):
 * the Glue table schema, the JSON row the transform emits and the Parquet types of
 * local delivery all come from here, so a column is never written twice.
 */
import type { EventType } from '#core/contract/events.js';
import type { SchemaRegistry } from '#core/contract/registry.js';

/** One lake column: Glue (Hive) type and the DuckDB type local Parquet uses for it. */
export interface LakeColumn {
  name: string;
  glueType: string;
  duckdbType: string;
  comment: string;
}

/**
 * Columns the lake adds to every event: when the stream received it and where it
 * sits in the stream (Firehose's `kinesisRecordMetadata`), so the archive can be
 * replayed in stream order (`pulse rebuild --source archive`).
 */
export const LAKE_METADATA_COLUMNS: readonly LakeColumn[] = [
  {
    name: 'arrived_at',
    glueType: 'timestamp',
    duckdbType: 'TIMESTAMP',
    comment: 'When the record reached the stream (approximate arrival time), for data freshness.',
  },
  {
    name: 'shard_id',
    glueType: 'string',
    duckdbType: 'VARCHAR',
    comment: 'The Kinesis shard the record was read from (null for direct puts), for replay in stream order.',
  },
  {
    name: 'sequence_number',
    glueType: 'string',
    duckdbType: 'VARCHAR',
    comment: 'Kinesis sequence number of the record in its shard (decimal digits), for replay in stream order.',
  },
  {
    name: 'subsequence_number',
    glueType: 'bigint',
    duckdbType: 'BIGINT',
    comment: 'Position of the event in its KPL aggregate (0 when not aggregated), for replay in stream order.',
  },
];

/** Hive partition keys, from event time (UTC): `year=/month=/day=/hour=`. */
export const PARTITION_KEYS = ['year', 'month', 'day', 'hour'] as const;

/** Lake table name of an event type. */
export const LAKE_TABLES: Record<EventType, string> = { MetricSample: 'metric_samples', LogEvent: 'log_events' };

type AvroType =
  | string
  | {
      type: string;
      logicalType?: string;
      values?: AvroType;
      items?: AvroType;
      symbols?: string[];
      fields?: { name: string; type: AvroType }[];
    }
  | AvroType[];

/**
 * Glue and DuckDB types of an Avro type. A record is a struct of its fields (MetricSample
 * v3's `histogram`: `struct<count:bigint,sum:double,…,bucket_bounds:array<double>,…>`), which
 * Firehose's Parquet conversion writes from the nested JSON object, Athena reads as a row
 * (`histogram.count`) and DuckDB as a STRUCT.
 */
export function lakeType(t: AvroType, field: string): { glue: string; duckdb: string } {
  if (Array.isArray(t)) {
    const nonNull = t.filter((x) => x !== 'null');
    if (nonNull.length !== 1) throw new Error(`field '${field}': only ["null", T] unions map to a lake column`);
    return lakeType(nonNull[0] as AvroType, field);
  }
  if (typeof t === 'object') {
    if (t.logicalType === 'timestamp-millis') return { glue: 'timestamp', duckdb: 'TIMESTAMP' };
    if (t.type === 'map') {
      const v = lakeType(t.values as AvroType, field);
      return { glue: `map<string,${v.glue}>`, duckdb: `MAP(VARCHAR, ${v.duckdb})` };
    }
    if (t.type === 'array') {
      const v = lakeType(t.items as AvroType, field);
      return { glue: `array<${v.glue}>`, duckdb: `${v.duckdb}[]` };
    }
    if (t.type === 'enum') return { glue: 'string', duckdb: 'VARCHAR' };
    if (t.type === 'record') {
      const fields = (t.fields ?? []).map((f) => ({ name: f.name, ...lakeType(f.type, `${field}.${f.name}`) }));
      if (fields.length === 0) throw new Error(`field '${field}': a record without fields has no lake column type`);
      return {
        glue: `struct<${fields.map((f) => `${f.name}:${f.glue}`).join(',')}>`,
        // (names unquoted, as DuckDB prints the type back: Avro names are plain identifiers)
        duckdb: `STRUCT(${fields.map((f) => `${f.name} ${f.duckdb}`).join(', ')})`,
      };
    }
    return lakeType(t.type, field);
  }
  const primitive: Record<string, { glue: string; duckdb: string }> = {
    string: { glue: 'string', duckdb: 'VARCHAR' },
    long: { glue: 'bigint', duckdb: 'BIGINT' },
    int: { glue: 'int', duckdb: 'INTEGER' },
    double: { glue: 'double', duckdb: 'DOUBLE' },
    float: { glue: 'float', duckdb: 'FLOAT' },
    boolean: { glue: 'boolean', duckdb: 'BOOLEAN' },
  };
  const p = primitive[t];
  if (!p) throw new Error(`field '${field}': Avro type '${t}' has no lake column type`);
  return p;
}

/** The columns of an event type's lake table: every field of its latest schema, then the metadata columns. */
export function lakeColumns(registry: SchemaRegistry, type: EventType): LakeColumn[] {
  const schema = registry.latest(type).schema as { fields: { name: string; type: AvroType; doc?: string }[] };
  return [
    ...schema.fields.map((f) => {
      const t = lakeType(f.type, f.name);
      return { name: f.name, glueType: t.glue, duckdbType: t.duckdb, comment: (f.doc ?? '').slice(0, 255) };
    }),
    ...LAKE_METADATA_COLUMNS,
  ];
}
