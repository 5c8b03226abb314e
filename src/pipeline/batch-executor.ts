/**
 * Runs one TableBatch to completion: every change is either durably written or dead-lettered
 * when execute() resolves. This is where the core's error policy lives, once for all writers:
 *   retryable    → backoff with jitter, same batch, up to SLUICE_RETRY_MAX_ATTEMPTS (0 = forever)
 *   backpressure → tell the controller (it shrinks batches, lowers concurrency, pauses), backoff
 *                  (at least the destination's Retry-After), retry; never counted as a failure
 *   poison       → bisect the batch until the offending changes are isolated, dead-letter each
 *                  with its reason, write the rest. In exactly-once mode every sub-batch's
 *                  context carries offsetCeilings (see ExactlyOnceContext): a sub-batch must not
 *                  record a mark over changes of the original batch that are still unwritten,
 *                  or a crash between two sub-batches would make the restart skip them.
 *   fatal        → reject with FatalPipelineError; the service stops without committing it
 * Per-change failures returned by the writer (bulk APIs) follow the same classes.
 */
import type { ErrorClass, SinkError } from '../errors.ts';
import { isSinkError } from '../errors.ts';
import type { Logger } from '../observe/logger.ts';
import type { RowChange, TableBatch, WriteContext, Writer } from '../writer/types.ts';
import { type BackoffPolicy, backoffDelayMs, sleep } from './backoff.ts';
import type { DeadLetterReason } from './dead-letter.ts';
import { partitionId } from './offset-tracker.ts';
import { tableKey } from './table-naming.ts';

export class FatalPipelineError extends Error {
  override readonly name = 'FatalPipelineError';
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface WriteObservation {
  readonly table: string;
  readonly rows: number;
  readonly latencyMs: number;
  /** Present when the attempt failed (whole batch or some changes). */
  readonly errorClass?: SinkError['errorClass'];
  readonly errorCode?: string;
}

export interface BatchExecutorOptions {
  readonly writer: Writer;
  readonly retry: BackoffPolicy & { readonly maxAttempts: number };
  /** Dead-letters the Kafka records behind a change; resolves once the broker acknowledged. */
  readonly deadLetter: (change: RowChange | null, batch: TableBatch, why: DeadLetterReason) => Promise<void>;
  readonly observe: (observation: WriteObservation) => void;
  /**
   * Called as each attempt starts; the returned function is called once as it ends, with the
   * class that steers flow control (null when every change was written or dead-lettered).
   */
  readonly beginAttempt?: (batch: TableBatch) => (errorClass: ErrorClass | null) => void;
  readonly context: (batch: TableBatch) => WriteContext;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly random?: () => number;
  readonly now?: () => number;
}

export class BatchExecutor {
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: BatchExecutorOptions) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? performance.now.bind(performance);
  }

  /** Resolves with the changes that were dead-lettered (usually none); the rest are durable. */
  execute(batch: TableBatch): Promise<RowChange[]> {
    return this.run(batch, []);
  }

  /**
   * `unwritten`: changes of the original batch outside `batch` that are neither durable nor
   * dead-lettered yet (the halves a bisection will write after this one); empty for a whole batch.
   */
  private async run(batch: TableBatch, unwritten: readonly RowChange[]): Promise<RowChange[]> {
    const deadLettered: RowChange[] = [];
    let attempt = 0;
    let current = batch;
    for (;;) {
      this.options.signal.throwIfAborted();
      const started = this.now();
      const endAttempt = this.options.beginAttempt?.(current);
      let failures: { change: RowChange; error: SinkError }[];
      try {
        const result = await this.options.writer.write(current, this.contextFor(current, unwritten));
        failures = [...result.failures];
      } catch (error) {
        const latencyMs = this.now() - started;
        endAttempt?.(isSinkError(error) ? error.errorClass : 'fatal');
        const sinkError = this.classify(error, current);
        this.options.observe({ table: tableKey(current.table), rows: current.changes.length, latencyMs, errorClass: sinkError.errorClass, errorCode: sinkError.code });
        if (sinkError.errorClass === 'poison') {
          deadLettered.push(...(await this.isolatePoison(current, sinkError, unwritten)));
          return deadLettered;
        }
        attempt = await this.waitBeforeRetry(sinkError, attempt, current);
        continue;
      }
      const latencyMs = this.now() - started;
      const firstFailure = failures[0]?.error;
      const steering = failures.filter((failure) => failure.error.errorClass !== 'poison').map((failure) => failure.error);
      endAttempt?.(steering.length === 0 ? null : worstClass(steering));
      this.options.observe({
        table: tableKey(current.table),
        rows: current.changes.length - failures.length,
        latencyMs,
        ...(firstFailure === undefined ? {} : { errorClass: worstClass(failures.map((failure) => failure.error)), errorCode: firstFailure.code }),
      });
      if (failures.length === 0) return deadLettered;

      const fatal = failures.find((failure) => failure.error.errorClass === 'fatal');
      if (fatal !== undefined) throw this.fatal(fatal.error, current);
      for (const failure of failures.filter((item) => item.error.errorClass === 'poison')) {
        await this.options.deadLetter(failure.change, current, reasonOf(failure.error, current));
        deadLettered.push(failure.change);
      }
      const again = failures.filter((failure) => failure.error.errorClass === 'retryable' || failure.error.errorClass === 'backpressure');
      if (again.length === 0) return deadLettered;
      // Only the rejected changes are retried; the writer reported the rest durable.
      current = { ...current, truncateFirst: false, truncateOrigins: [], changes: again.map((failure) => failure.change) };
      attempt = await this.waitBeforeRetry(again[0]!.error, attempt, current);
    }
  }

  /**
   * While bisecting, each sub-batch's marks are capped below every origin of `unwritten`, so a
   * restart after a crash between sub-batches replays them (and some written ones again).
   * Exception: a truncate's own positions are always recorded. Replaying a pre-truncate record
   * without its truncate would bring back a row the truncate removed, whereas an unwritten change
   * of the same batch whose older origins fall at or below them loses nothing: it survived the
   * truncate because it has an event after it on that partition (higher offset, so replayed), and
   * a row's first event after a truncate carries its whole image.
   */
  private contextFor(batch: TableBatch, unwritten: readonly RowChange[]): WriteContext {
    const context = this.options.context(batch);
    if (unwritten.length === 0 || context.exactlyOnce === undefined) return context;
    const ceilings = new Map(context.exactlyOnce.offsetCeilings);
    for (const change of unwritten) {
      for (const origin of change.origins) {
        const key = partitionId(origin.topic, origin.partition);
        const ceiling = origin.offset - 1n;
        const known = ceilings.get(key);
        if (known === undefined || ceiling < known) ceilings.set(key, ceiling);
      }
    }
    for (const origin of batch.truncateOrigins) {
      const key = partitionId(origin.topic, origin.partition);
      const known = ceilings.get(key);
      if (known !== undefined && known < origin.offset) ceilings.set(key, origin.offset);
    }
    return { ...context, exactlyOnce: { ...context.exactlyOnce, offsetCeilings: ceilings } };
  }

  private classify(error: unknown, batch: TableBatch): SinkError {
    if (isSinkError(error)) {
      if (error.errorClass === 'fatal') throw this.fatal(error, batch);
      return error;
    }
    if (this.options.signal.aborted) throw error;
    // A writer must classify everything it throws; an unclassified error is a bug in that
    // writer, and guessing "retry" could loop forever, so the service stops and says so.
    throw new FatalPipelineError(
      `writer threw an unclassified error for ${tableKey(batch.table)}: ${(error as Error)?.message ?? String(error)}`,
      'writer.unclassified',
      { cause: error },
    );
  }

  private fatal(error: SinkError, batch: TableBatch): FatalPipelineError {
    return new FatalPipelineError(`fatal error writing ${tableKey(batch.table)}: ${error.message}`, error.code, { cause: error });
  }

  private async waitBeforeRetry(error: SinkError, attempt: number, batch: TableBatch): Promise<number> {
    const next = attempt + 1;
    const limit = this.options.retry.maxAttempts;
    if (error.errorClass === 'retryable' && limit > 0 && next >= limit) {
      throw new FatalPipelineError(
        `giving up on ${tableKey(batch.table)} after ${next} attempts (SLUICE_RETRY_MAX_ATTEMPTS=${limit}): ${error.message}`,
        error.code,
        { cause: error },
      );
    }
    const delay = backoffDelayMs(this.options.retry, attempt, this.random, error.retryAfterMs ?? 0);
    this.options.logger.warn(
      { event: 'write-retry', table: tableKey(batch.table), errorClass: error.errorClass, code: error.code, attempt: next, delayMs: delay, rows: batch.changes.length },
      `${error.errorClass} error writing ${tableKey(batch.table)}, retrying in ${delay} ms: ${error.message}`,
    );
    await sleep(delay, this.options.signal);
    return next;
  }

  /** Bisects until each poison change is alone, dead-letters it, and writes everything else. */
  private async isolatePoison(batch: TableBatch, error: SinkError, unwritten: readonly RowChange[]): Promise<RowChange[]> {
    // A truncate with one change is split too: dead-lettering the change must not drop the truncate.
    if (batch.changes.length === 0 || (batch.changes.length === 1 && !batch.truncateFirst)) {
      const change = batch.changes[0] ?? null;
      await this.options.deadLetter(change, batch, reasonOf(error, batch));
      return change === null ? [] : [change];
    }
    const middle = batch.truncateFirst && batch.changes.length === 1 ? 0 : Math.ceil(batch.changes.length / 2);
    const first: TableBatch = { ...batch, changes: batch.changes.slice(0, middle) };
    // The truncate belongs to the first half only: it must run once, before any change.
    const second: TableBatch = { ...batch, truncateFirst: false, truncateOrigins: [], changes: batch.changes.slice(middle) };
    // Halves run in order, so what is unwritten while the first runs is the second plus the rest.
    return [...(await this.run(first, [...second.changes, ...unwritten])), ...(await this.run(second, unwritten))];
  }
}

function reasonOf(error: SinkError, batch: TableBatch): DeadLetterReason {
  return { reason: error.message, errorClass: error.errorClass, code: error.code, table: tableKey(batch.table) };
}

const severity: Record<SinkError['errorClass'], number> = { retryable: 0, backpressure: 1, poison: 2, fatal: 3 };

function worstClass(errors: readonly SinkError[]): SinkError['errorClass'] {
  let worst: SinkError['errorClass'] = 'retryable';
  for (const error of errors) if (severity[error.errorClass] > severity[worst]) worst = error.errorClass;
  return worst;
}
