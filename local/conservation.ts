/**
 * What "conserved" means for a local run: one definition, used by `pulse start` (its exit
 * code) and by `npm run bench:local` (its `conserved` figure).
 */

/** The counts of a run's summary that conservation compares (see `PipelineSummary`). */
export interface ConservationCounts {
  /** Events the stream holds, from every run on the data dir, undecodable records included. */
  stream_events: number;
  /** Stream records that do not decode. */
  undecodable: number;
  /** Events counted in the finest windows. */
  windowed: number;
  late: number;
  quarantined: number;
  /** Distinct event identities in the lake (silver), from every run on the data dir. */
  parquet_rows: number;
}

/**
 * True when every event the stream holds reached both paths:
 * - hot path: `windowed + late + quarantined = stream_events` (an undecodable record is
 *   quarantined);
 * - lake: `parquet_rows + undecodable = stream_events` (an undecodable record cannot
 *   reach the lake).
 *
 * The reference is what the stream holds, not what this run produced: a run that resumes
 * a data dir windows and delivers the earlier runs' events too, and a record that does
 * not decode is in the stream but was never produced.
 */
export function isConserved(c: ConservationCounts): boolean {
  return c.windowed + c.late + c.quarantined === c.stream_events && c.parquet_rows + c.undecodable === c.stream_events;
}
