/**
 * The closed set of failure classes. Writers classify what went wrong exactly once (in their
 * own errors.ts); the core decides what to do with each class:
 *   retryable    → try the same work again after exponential backoff with jitter
 *   backpressure → the destination is saturated: shrink batches, lower concurrency, pause
 *                  partitions, then retry; never drop
 *   poison       → this record can never be written: isolate it and dead-letter it with the reason
 *   fatal        → configuration or permission problem: stop the service with a clear message,
 *                  commit nothing that was not written
 */
export type ErrorClass = 'retryable' | 'backpressure' | 'poison' | 'fatal';

export interface SinkErrorOptions {
  /** A stable, greppable code such as 'pg.unique_violation' or 'es.rejected_execution'. */
  readonly code: string;
  readonly cause?: unknown;
  /** The destination asked us to wait at least this long (Retry-After, quota reset). */
  readonly retryAfterMs?: number;
}

export class SinkError extends Error {
  override readonly name = 'SinkError';
  readonly errorClass: ErrorClass;
  readonly code: string;
  readonly retryAfterMs: number | undefined;

  constructor(errorClass: ErrorClass, message: string, options: SinkErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errorClass = errorClass;
    this.code = options.code;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isSinkError(error: unknown): error is SinkError {
  return error instanceof SinkError;
}

/** Raised by the decoder for a record that can never be decoded; it goes to the dead-letter topic. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A setting is missing or invalid: the service stops at start-up (exit code 2) naming the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}
