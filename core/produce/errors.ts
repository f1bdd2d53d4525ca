/** Errors of the producer. Messages never include event payloads. */

/** Base class of producer errors. */
export class ProducerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One event is larger than one Kinesis record can hold. */
export class OversizedEventError extends ProducerError {
  constructor(type: string, bytes: number, limit: number) {
    super(
      `${type} event encodes to ${bytes} bytes, above the ${limit}-byte Kinesis record limit: shorten its message, tags or attributes`,
    );
  }
}

/** Events were given up on after the retry budget; raised by flush()/close(). */
export class EventsDroppedError extends ProducerError {
  constructor(
    readonly events: number,
    readonly reason: string,
  ) {
    super(
      `${events} event(s) were not accepted by Kinesis after the maximum attempts (last error: ${reason}); check the stream, its throughput and IAM, then resend them`,
    );
  }
}

/** put() after close(). */
export class ProducerClosedError extends ProducerError {
  constructor() {
    super('the producer is closed: create a new one');
  }
}

/** A unit of work's events were not all accepted before its deadline; the unit should be retried. */
export class ProduceTimeoutError extends ProducerError {
  constructor(
    readonly pending: number,
    ms: number,
  ) {
    super(
      `${pending} event(s) were not accepted by Kinesis within ${ms} ms; nothing after them was sent: retry the whole unit (its events keep their identities, so nothing counts twice)`,
    );
  }
}

/** A record handed to the request packer is above Kinesis's per-record limit (the producer never builds one). */
export class OversizedRecordError extends ProducerError {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `a record of ${bytes} bytes (data and partition key) is above the ${limit}-byte Kinesis record limit: seal aggregates below the limit before packing`,
    );
  }
}
