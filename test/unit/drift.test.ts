import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '#core/contract/registry.js';
import { lakeColumns } from '#core/lake/columns.js';
import { columnDrift } from '#core/lake/drift.js';

const expected = lakeColumns(SchemaRegistry.load(), 'MetricSample');
const deployed = () => expected.map((c) => ({ Name: c.name, Type: c.glueType }));

describe('columnDrift', () => {
  it('finds none when Glue has exactly the .avsc columns', () => {
    expect(columnDrift('metric_samples', expected, deployed())).toEqual([]);
  });

  it('names a missing column, a changed type and an extra column, with what to do', () => {
    // Prepare
    const glue = deployed()
      .filter((c) => c.Name !== 'source')
      .map((c) => (c.Name === 'value' ? { ...c, Type: 'string' } : c));
    glue.push({ Name: 'owner', Type: 'string' });

    // Act
    const drift = columnDrift('metric_samples', expected, glue);

    // Assess
    expect(drift).toEqual([
      {
        table: 'metric_samples',
        column: 'value',
        kind: 'type',
        message:
          'metric_samples.value: string in Glue, double from the .avsc: deploy the stack, or check that the schema change is compatible',
      },
      {
        table: 'metric_samples',
        column: 'source',
        kind: 'missing',
        message:
          'metric_samples.source: in the .avsc as string, missing in Glue: deploy the stack (cdk deploy) so the table has it',
      },
      {
        table: 'metric_samples',
        column: 'owner',
        kind: 'extra',
        message:
          'metric_samples.owner: in Glue, not in the .avsc: was it edited by hand? Deploy the stack to put the table back',
      },
    ]);
  });
});
