/**
 * The Lambda event and response shapes Pulse's functions take and give, in one place:
 * the Kinesis event (plain and with tumbling windows) and the partial batch response.
 * Handlers, the local event source mapping and the contract's reader all use these;
 * they are data shapes only (no Lambda runtime or SDK code).
 */

/** The `kinesis` part of a record of a Lambda Kinesis event: what every reader needs. */
export interface LambdaKinesisData {
  data: string;
  sequenceNumber: string;
  partitionKey: string;
  /** Seconds since the epoch (fractional), as Lambda sends it. */
  approximateArrivalTimestamp?: number;
}

/** A record as a Lambda Kinesis event delivers it (`event.Records[i]`), reduced to what a reader needs. */
export interface LambdaKinesisRecord {
  eventID?: string;
  kinesis: LambdaKinesisData;
}

/** One record of a Lambda Kinesis event. */
export interface LambdaKinesisEventRecord {
  eventSource: 'aws:kinesis';
  eventVersion: '1.0';
  eventID: string;
  eventName: 'aws:kinesis:record';
  eventSourceARN: string;
  awsRegion: string;
  invokeIdentityArn: string;
  kinesis: LambdaKinesisData & {
    kinesisSchemaVersion: '1.0';
    /** Seconds since the epoch (fractional), as Lambda sends it. */
    approximateArrivalTimestamp: number;
  };
}

/** A Lambda Kinesis event. */
export interface LambdaKinesisEvent {
  Records: LambdaKinesisEventRecord[];
}

/**
 * A Lambda Kinesis event of a mapping with tumbling windows: the records (all of one
 * window) with the window's state. The final invocation of a window has no records.
 */
export interface LambdaKinesisWindowEvent extends LambdaKinesisEvent {
  /** The window, [start, end), as ISO timestamps of record arrival time. */
  window: { start: string; end: string };
  /** What the last invocation of the window returned; `{}` at the start of a window. */
  state: Record<string, unknown>;
  shardId: string;
  eventSourceARN: string;
  /** The window has ended (or ends early): process the state; `Records` is empty. */
  isFinalInvokeForWindow: boolean;
  /** This final invocation ends the window early (its state passed 1 MB); the window goes on with `{}`. */
  isWindowTerminatedEarly: boolean;
}

/** Lambda's partial batch response. */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * The response to a {@link LambdaKinesisWindowEvent}: the window's new state (required:
 * a response without it is a failed invocation) and any batch item failures.
 */
export interface WindowBatchResponse extends BatchResponse {
  state: Record<string, unknown>;
}

/**
 * The function the mapping invokes: a Lambda handler. It receives a
 * {@link LambdaKinesisWindowEvent} when the mapping has tumbling windows (and must then
 * respond with a {@link WindowBatchResponse}), a plain {@link LambdaKinesisEvent} otherwise.
 */
export type KinesisFunction = (
  event: LambdaKinesisEvent | LambdaKinesisWindowEvent,
) => Promise<BatchResponse | WindowBatchResponse | void>;
