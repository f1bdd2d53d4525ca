/** Measurements with round numbers, for cost-model tests whose figures are checked by hand. */
import type { Measured } from '../../core/cost/model.js';

/** 100 events per record, 200 B each, 50 writes per 1,000 events of 0.5 KB, 15 B of Parquet. */
export const ROUND_MEASURED: Measured = {
  source: 'a run of this test',
  eventsPerRecord: 100,
  streamBytesPerEvent: 200,
  windowWritesPerEvent: 0.05,
  windowItemKb: 0.5,
  parquetBytesPerEvent: 15,
  hotPathMsPer1000: 100,
  transformMsPer1000: 20,
};
