/**
 * Drift between the lake tables deployed in Glue and the columns the `.avsc`
 * files define (`lakeColumns`): a column missing, extra or of another type, each
 * named with what to do. Partition keys are not columns and are not compared.
 */
import type { LakeColumn } from './columns.js';

/** One drifted column. */
export interface ColumnDrift {
  table: string;
  column: string;
  kind: 'missing' | 'extra' | 'type';
  /** Says what differs and what to do. */
  message: string;
}

/** A column as Glue's GetTable returns it. */
export interface GlueColumn {
  Name?: string;
  Type?: string;
}

/** Compares the deployed columns of `table` with the expected ones, in expected order. */
export function columnDrift(table: string, expected: LakeColumn[], deployed: GlueColumn[]): ColumnDrift[] {
  const actual = new Map(deployed.map((c) => [c.Name ?? '', (c.Type ?? '').toLowerCase()]));
  const out: ColumnDrift[] = [];
  for (const c of expected) {
    const type = actual.get(c.name);
    if (type === undefined) {
      out.push({
        table,
        column: c.name,
        kind: 'missing',
        message: `${table}.${c.name}: in the .avsc as ${c.glueType}, missing in Glue: deploy the stack (cdk deploy) so the table has it`,
      });
    } else if (type !== c.glueType.toLowerCase()) {
      out.push({
        table,
        column: c.name,
        kind: 'type',
        message: `${table}.${c.name}: ${type} in Glue, ${c.glueType} from the .avsc: deploy the stack, or check that the schema change is compatible`,
      });
    }
  }
  const names = new Set(expected.map((c) => c.name));
  for (const c of deployed) {
    if (names.has(c.Name ?? '')) continue;
    out.push({
      table,
      column: c.Name ?? '',
      kind: 'extra',
      message: `${table}.${c.Name}: in Glue, not in the .avsc: was it edited by hand? Deploy the stack to put the table back`,
    });
  }
  return out;
}
