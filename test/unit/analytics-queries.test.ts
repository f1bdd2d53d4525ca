import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredParameters } from '#core/lake/execution-parameters.js';
import { analyticsSqlDir } from '#core/lake/lake-query.js';

const dir = join(analyticsSqlDir(), 'queries');
const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));

describe('the queries in analytics-sql/queries name their partitions', () => {
  it('are the seed queries and the kept ones', () => {
    expect(files.sort()).toEqual([
      'cpu_by_host_day.sql',
      'data_freshness.sql',
      'disk_above_threshold_month.sql',
      'error_rate_by_service.sql',
      'events_per_day_per_type.sql',
      'memory_latest_samples_month.sql',
      'metric_count_by_environment_month.sql',
      'network_by_host_day.sql',
      'p95_cpu_per_host_hour.sql',
      'peak_hours_day.sql',
    ]);
  });

  it.each(files)('%s declares year, month (and day) first and filters them in a WHERE clause', (file) => {
    // Prepare
    const text = readFileSync(join(dir, file), 'utf8');

    // Act
    const declared = declaredParameters(text) ?? [];
    const body = text.replace(/--.*$/gm, '');

    // Assess
    const partitions = declared.some((p) => p.name === 'day') ? ['year', 'month', 'day'] : ['year', 'month'];
    expect(declared.slice(0, partitions.length)).toEqual(partitions.map((name) => ({ name, type: 'INTEGER' })));
    expect(body).toMatch(new RegExp(`\\bWHERE ${partitions.map((p) => `${p} = \\?`).join(' AND ')}(?=\\s|$)`));
    // one ? per declared parameter (no ? in the files' strings)
    expect(body.match(/\?/g)?.length).toBe(declared.length);
  });
});
