/**
 * The core: consume → decode → compact per table → cut batches → write → commit.
 *
 * Ordering and safety rules this file enforces (the writers rely on them):
 * - Each table compacts its pending changes to one per key. Batches are cut up to the
 *   controller's batch size, never with a key that is in a batch still in flight, so two
 *   batches touching the same key are never in flight together and per-key source order is
 *   kept, while several batches of one table (and of different tables) write concurrently.
 * - A TRUNCATE empties the table's pending changes (they are moot), waits until no
 *   batch of that table is in flight, then runs alone; later changes follow it.
 * - A Kafka record is released only when every change it contributed to is durable or
 *   dead-lettered; offsets are committed from the contiguous released prefix (OffsetTracker).
 * - Memory: a record's raw bytes, and the expected size of its decoded change, are admitted to
 *   the controller's in-flight budget on arrival; once decoded, its decoded change's estimate is
 *   charged to it instead (record-memory.ts), and all of it is released when the record settles.
 *   The controller pauses partitions at its pause threshold, and the source handler waits at
 *   the hard limit (SLUICE_MAX_INFLIGHT_BYTES) before admitting more.
 * - Flow control is decided by the controller (src/control/controller.ts), once per interval:
 *   batch size, write concurrency, which partitions to pause and resume. This file enforces.
 * - Truncates are ordered by source LSN where the source has one: pending or late-arriving
 *   changes of the table from before the truncate (lower LSN, other partitions) are moot.
 * - Exactly-once (postgres): on assignment the writer's offset store is claimed (fencing the
 *   previous owner) and records already applied to a table are skipped on replay. The stored
 *   offsets are high-water marks per (partition, table), so in this mode a table has at most
 *   one batch in flight (its batches commit in order) and each batch takes every pending
 *   change with an origin at or below its highest offset per partition (drainCovering): a
 *   committed mark never passes a record whose change is not durable yet.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { ChangeEvent, DecodeResult, RecordPosition, Row, TableSchema } from '../cdc/types.ts';
import type { Controller, Decision } from '../control/controller.ts';
import { describeControllerEvent } from '../control/describe-event.ts';
import type { SpanToken } from '../control/stages.ts';
import { DecodeError, isSinkError } from '../errors.ts';
import type { KafkaRecord, KafkaSource, RecordBatch, TopicPartition } from '../kafka/types.ts';
import type { Logger } from '../observe/logger.ts';
import { exactlyOnceTableKey, type RowChange, type TableBatch, type TargetTable, type WriteContext, type Writer } from '../writer/types.ts';
import { type BackoffPolicy, backoffDelayMs, sleep } from './backoff.ts';
import { BatchExecutor, FatalPipelineError, type WriteObservation } from './batch-executor.ts';
import { TableCompactor } from './compactor.ts';
import { type DeadLetterProducer, type DeadLetterReason, deadLetterMessage } from './dead-letter.ts';
import { OffsetContinuity } from './offset-continuity.ts';
import { OffsetTracker, partitionId } from './offset-tracker.ts';
import { decodedChangeBytes, rawRecordBytes } from './record-memory.ts';
import { encodeRowKey } from './row-key.ts';
import { type TableNaming, tableKey, targetTableFor } from './table-naming.ts';

export interface EventDecoder {
  /** Throws DecodeError for records that can never be decoded. */
  decode(record: KafkaRecord): DecodeResult;
  /**
   * Optional: awaited once per fetched batch before any of its records is decoded, for work
   * `decode` must not wait for (the Avro decoder fetches unknown schema ids from the registry).
   * While it waits (e.g. a registry outage, retried) the source handler is blocked: back-pressure,
   * not dead letters. Resolves early when `signal` aborts (the pipeline is stopping).
   */
  prepare?(records: readonly KafkaRecord[], signal: AbortSignal): Promise<void>;
}

/** Hooks for metrics and the status page; every method is optional to implement. */
export interface PipelineObserver {
  recordsReceived?(partition: TopicPartition, count: number, bytes: number): void;
  eventSkipped?(reason: string): void;
  /** A batch is settled: every change durable except `deadLettered` (sent to the dead-letter topic). */
  batchWritten?(table: string, batch: TableBatch, latencyMs: number, deadLettered: readonly RowChange[]): void;
  writeAttempt?(observation: WriteObservation): void;
  deadLettered?(reason: DeadLetterReason, count: number): void;
  committed?(commits: readonly { topic: string; partition: number; offset: bigint }[]): void;
  partitionsPaused?(partitions: readonly TopicPartition[], reason: string): void;
  partitionsResumed?(partitions: readonly TopicPartition[], reason: string): void;
  controlDecision?(decision: Decision): void;
  /** Offsets skipped between two batches of a partition (offset-continuity.ts). */
  recordsLost?(partition: TopicPartition, count: number): void;
}

export interface PipelineOptions {
  readonly source: KafkaSource;
  readonly decoder: EventDecoder;
  readonly writer: Writer;
  readonly deadLetters: DeadLetterProducer;
  readonly dlqTopic: string;
  readonly controller: Controller;
  /** SLUICE_MAX_INFLIGHT_BYTES: the hard limit the source handler waits at. */
  readonly maxInflightBytes: number;
  readonly naming: TableNaming;
  readonly lingerMs: number;
  readonly maxBatchRows: number;
  readonly retry: BackoffPolicy & { readonly maxAttempts: number };
  readonly commitIntervalMs: number;
  readonly controlIntervalMs: number;
  readonly delivery: 'at-least-once' | 'exactly-once';
  readonly groupId: string;
  readonly logger: Logger;
  readonly observer?: PipelineObserver;
}

interface TableState {
  readonly target: TargetTable;
  readonly key: string;
  readonly pending: TableCompactor;
  /** When the oldest change now pending arrived (for the linger deadline). */
  firstPendingAt: number;
  /** Keys in batches still in flight, and how many batches that is. */
  readonly busyKeys: Set<string>;
  batchesInFlight: number;
  schema: TableSchema | null;
  /** Origins of a truncate waiting to run (the truncate records and the changes it made moot). */
  truncateOrigins: RecordPosition[] | null;
  truncateBusy: boolean;
  /** Source LSN of the newest truncate: changes with a lower LSN are moot. */
  truncatedBelow: bigint | null;
}

/**
 * Reserved per record for a topic whose decoded changes have not been measured yet (its first
 * batches): above what the widest generated rows measured (~3.8–4 KB for 50 columns or TOAST
 * text). Trued up after decoding.
 */
const UNMEASURED_DECODED_BYTES_PER_RECORD = 4_096;

export class Pipeline {
  private readonly tracker = new OffsetTracker();
  private readonly continuity = new OffsetContinuity();
  private readonly tables = new Map<string, TableState>();
  private readonly limit: LimitFunction;
  /** Batches handed to the writers and not yet settled, across all tables. */
  private batchesInFlight = 0;
  /** Rotates which table is looked at first, so one busy table cannot take every write slot. */
  private scheduleCursor = 0;
  private readonly executor: BatchExecutor;
  private readonly abort = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pendingDeadLetters = new Set<Promise<void>>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly epochs = new Map<string, number>();
  private readonly appliedOffsets = new Map<string, ReadonlyMap<string, bigint>>();
  private readonly paused = new Map<string, { partition: TopicPartition }>();
  /** Open while any partition is paused: the source is back-pressured for as long as it lasts. */
  private fetchPausedSpan: SpanToken | null = null;
  private roomWaiters: (() => void)[] = [];
  /** Per topic: what a record's decoded change has been charged lately (EWMA, record-memory.ts). */
  private readonly decodedBytesPerRecord = new Map<string, number>();
  private batchRows: number;
  private assigned: TopicPartition[] = [];
  /**
   * One number per assigned partition, new at every assignment. A batch that waited (for room,
   * for the decoder's schemas) across a revocation belongs to the previous owner's reading: the
   * new assignment reads it again from the committed offset, and routing the old copy late, after
   * newer changes of the same keys, would write an older row image over a newer one.
   */
  private readonly assignmentIds = new Map<string, number>();
  private nextAssignmentId = 1;
  private readonly progressState: { startedAt: number; lastCommitAt: number | null; lastWriteSuccessAt: number | null; writeFailingSince: number | null } = {
    startedAt: Date.now(),
    lastCommitAt: null,
    lastWriteSuccessAt: null,
    writeFailingSince: null,
  };
  private flushAll = false;
  private stopping = false;
  private commitRunning: Promise<void> | null = null;
  private fatalError: Error | null = null;
  private resolveFinished!: (error: Error | null) => void;
  /** Resolves when the pipeline has stopped: null after a clean stop, the error after a fatal one. */
  readonly finished: Promise<Error | null>;

  constructor(private readonly options: PipelineOptions) {
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
    this.limit = pLimit(Math.max(1, options.controller.concurrency));
    this.batchRows = options.controller.batchSize;
    this.executor = new BatchExecutor({
      writer: options.writer,
      retry: options.retry,
      deadLetter: (change, batch, why) => this.deadLetterOrigins(change === null ? batch.truncateOrigins : change.origins, why),
      observe: (observation) => {
        const now = Date.now();
        if (observation.errorClass === undefined || observation.errorClass === 'poison') {
          this.progressState.lastWriteSuccessAt = now;
          this.progressState.writeFailingSince = null;
        } else {
          this.progressState.writeFailingSince ??= now;
        }
        options.observer?.writeAttempt?.(observation);
      },
      beginAttempt: (batch) => {
        const attempt = options.controller.beginWrite({ rows: batch.changes.length, bytes: 0 }, performance.now());
        return (errorClass) => options.controller.endWrite(attempt, performance.now(), errorClass);
      },
      context: () => this.writeContext(),
      logger: options.logger,
      signal: this.abort.signal,
    });
  }

  async start(): Promise<void> {
    await this.openWriter();
    await this.options.source.start({
      onBatch: (batch) => this.onBatch(batch),
      onAssigned: (partitions) => this.onAssigned(partitions),
      onRevoked: (partitions) => this.onRevoked(partitions),
      // The source gave up for good (its client will not restart): a process that stays up
      // without consuming would look healthy while lag grows, so stop and let the supervisor
      // restart it; what was durably written is committed first, nothing else.
      onFatal: (error) => this.fail(new FatalPipelineError(`the Kafka consumer stopped: ${error.message}`, 'kafka.consumer_stopped', { cause: error })),
    });
    this.every(Math.min(50, this.options.lingerMs), () => this.schedule());
    this.every(this.options.controlIntervalMs, () => this.control());
    this.every(this.options.commitIntervalMs, () => void this.commit());
  }

  /**
   * A destination that is briefly unreachable at start (a database restarting, a DNS blip) is
   * retried a bounded number of times; a fatal error (credentials, missing database) or a
   * destination still unreachable after the last attempt stops start-up with its message.
   */
  private async openWriter(): Promise<void> {
    const attempts = 6;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.writer.open();
        return;
      } catch (error) {
        const retryable = isSinkError(error) && (error.errorClass === 'retryable' || error.errorClass === 'backpressure');
        if (!retryable || attempt + 1 >= attempts) throw error;
        const delay = backoffDelayMs({ baseMs: 500, maxMs: 8_000 }, attempt, Math.random, 250);
        this.options.logger.warn({ event: 'destination-unreachable', attempt: attempt + 1, of: attempts, delayMs: delay, error: (error as Error).message }, `cannot open the destination yet (attempt ${attempt + 1} of ${attempts}), retrying in ${delay} ms: ${(error as Error).message}`);
        await sleep(delay, this.abort.signal);
      }
    }
  }

  /** Graceful stop: no more fetching, finish in-flight writes within the deadline, commit, leave. */
  async stop(deadlineMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // After a fatal error, fail() has already committed what was durable, stopped the source
    // and closed the writer: pausing a stopped source throws and would hide the fatal error.
    if (this.fatalError !== null) {
      await this.finished;
      return;
    }
    this.options.source.pause(this.assigned);
    const drained = await this.drain(deadlineMs);
    if (!drained) this.options.logger.warn({ event: 'shutdown-deadline', deadlineMs }, 'in-flight writes did not finish before the shutdown deadline; their offsets stay uncommitted and will be re-read');
    await this.commit();
    this.abort.abort(new Error('pipeline stopped'));
    for (const timer of this.timers) clearInterval(timer);
    await this.options.source.stop();
    await this.options.writer.close();
    this.resolveFinished(this.fatalError);
  }

  pausedPartitions(): TopicPartition[] {
    return [...this.paused.values()].map((entry) => entry.partition);
  }

  /** Wall-clock times (ms) of the last commit and write outcomes, for readiness. */
  progress(): Readonly<{ startedAt: number; lastCommitAt: number | null; lastWriteSuccessAt: number | null; writeFailingSince: number | null }> {
    return { ...this.progressState };
  }

  /** Records read and not yet written, dead-lettered or skipped. */
  unwrittenRecords(): number {
    return this.tracker.totalUnsettled();
  }

  assignment(): readonly TopicPartition[] {
    return this.assigned;
  }

  oldestUnwrittenTimestamp(partition: TopicPartition): number | null {
    return this.tracker.oldestUnsettledTimestamp(partition);
  }

  // ---- source handlers -------------------------------------------------------------------

  private async onBatch(batch: RecordBatch): Promise<void> {
    if (this.stopping || this.fatalError !== null || batch.records.length === 0) return;
    const tp = { topic: batch.topic, partition: batch.partition };
    const assignment = this.assignmentIds.get(partitionId(tp.topic, tp.partition));
    if (assignment === undefined) return;
    const stillCurrent = (): boolean => !this.stopping && this.fatalError === null && this.assignmentIds.get(partitionId(tp.topic, tp.partition)) === assignment;
    let bytes = 0;
    for (const record of batch.records) bytes += rawRecordBytes(record);
    // The decoded changes' size is known only after decoding: reserve what this topic's records
    // have been charged for theirs lately (a conservative size per record until its first batch
    // is decoded: a fetch round hands over every partition's first batch at once, and compact
    // records decode to rows many times their size), and true it up once decoded.
    const expectedDecoded = await this.reserveRoom(tp, bytes, batch.records.length, () => this.decodedBytesPerRecord.get(tp.topic) ?? UNMEASURED_DECODED_BYTES_PER_RECORD);
    if (expectedDecoded === null) return;
    if (!stillCurrent()) {
      this.releaseBytes(tp, bytes + expectedDecoded);
      return;
    }
    if (this.options.decoder.prepare !== undefined) {
      await this.options.decoder.prepare(batch.records, this.abort.signal);
      if (!stillCurrent()) {
        this.releaseBytes(tp, bytes + expectedDecoded);
        return;
      }
    }
    this.checkContinuity(tp, batch.records);
    const decodeStarted = performance.now();
    let decoded = 0;
    for (const record of batch.records) {
      this.tracker.track(record, rawRecordBytes(record));
      decoded += this.route(record);
    }
    this.settleDecodedBytes(tp, batch.records.length, expectedDecoded, decoded);
    this.options.controller.stages.meter('decode').record('busy', decodeStarted, performance.now());
    this.options.observer?.recordsReceived?.(tp, batch.records.length, bytes);
    this.schedule();
  }

  /** Loudly reports offsets that were never delivered (e.g. deleted by retention while lagging). */
  private checkContinuity(tp: TopicPartition, records: readonly KafkaRecord[]): void {
    const lost = this.continuity.observe(tp, records[0]!.offset, records[records.length - 1]!.offset);
    if (lost === null) return;
    this.options.logger.error(
      { event: 'records-lost', topic: tp.topic, partition: tp.partition, from: lost.from.toString(), to: lost.to.toString(), count: lost.count.toString() },
      `records lost: offsets ${lost.from}..${lost.to} (${lost.count}) of ${tp.topic}[${tp.partition}] were never delivered (deleted by retention before they were consumed?)`,
    );
    this.options.observer?.recordsLost?.(tp, Number(lost.count));
  }

  /**
   * The hard limit: a fetch that arrives after the pause (one already under way) waits here,
   * while the source keeps heartbeating, rather than take the budget past its maximum. The
   * bytes are admitted in the same synchronous step as the check that found room: with several
   * partitions' batches waiting at once, an await between the two let all of them through
   * together (the chaos outage fault measured 44 MB in flight against a 16 MiB limit).
   * `rawBytes` are the records' own bytes (the controller learns the average record size from
   * them); `decodedPerRecord` is what their decoded changes are expected to take each, read at
   * every check (a measurement may arrive while the batch waits) and reserved with them.
   * Resolves to the decoded bytes reserved, or null, reserving nothing, when the pipeline stops.
   */
  private async reserveRoom(partition: TopicPartition, rawBytes: number, records: number, decodedPerRecord: () => number): Promise<number | null> {
    const started = performance.now();
    let waited = false;
    let expectedDecoded: number;
    for (;;) {
      if (this.stopping || this.fatalError !== null) return null;
      expectedDecoded = Math.ceil(decodedPerRecord() * records);
      const used = this.options.controller.snapshot().inflight.usedBytes;
      if (used + rawBytes + expectedDecoded <= this.options.maxInflightBytes) break;
      if (used === 0) {
        // Alone, a batch always goes (nothing would ever make room for it); what it reserves
        // stays within the limit, so only rows that really are larger can take usage past it.
        expectedDecoded = Math.max(0, Math.min(expectedDecoded, this.options.maxInflightBytes - rawBytes));
        break;
      }
      waited = true;
      await new Promise<void>((resolve) => {
        this.roomWaiters.push(resolve);
        this.abort.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    this.pause(this.options.controller.admit(partition, rawBytes, records), 'memory');
    if (expectedDecoded > 0) this.pause(this.options.controller.admit(partition, expectedDecoded, 0), 'memory');
    if (waited) this.options.controller.stages.meter('fetch').record('backpressured', started, performance.now());
    return expectedDecoded;
  }

  /**
   * After a batch is decoded: the tracker holds each record's actual share (raw bytes plus its
   * decoded change's estimate, released with the record), the budget holds raw bytes plus the
   * reservation. Admits what the reservation lacked (this may take usage past the pause
   * threshold, which pauses partitions; the next batch then waits in reserveRoom) or releases
   * its surplus, so that both agree, and learns the topic's bytes per record for the next batch.
   */
  private settleDecodedBytes(partition: TopicPartition, records: number, reserved: number, charged: number): void {
    const previous = this.decodedBytesPerRecord.get(partition.topic);
    const sample = charged / records;
    this.decodedBytesPerRecord.set(partition.topic, previous === undefined ? sample : previous + 0.25 * (sample - previous));
    if (charged > reserved) this.pause(this.options.controller.admit(partition, charged - reserved, 0), 'memory');
    else if (charged < reserved) this.releaseBytes(partition, reserved - charged);
  }

  private async onAssigned(partitions: readonly TopicPartition[]): Promise<void> {
    this.options.controller.assign(partitions);
    for (const tp of partitions) this.assignmentIds.set(partitionId(tp.topic, tp.partition), this.nextAssignmentId++);
    const known = new Set(this.assigned.map((tp) => partitionId(tp.topic, tp.partition)));
    this.assigned = [...this.assigned, ...partitions.filter((tp) => !known.has(partitionId(tp.topic, tp.partition)))];
    if (this.options.delivery === 'exactly-once') {
      const store = this.options.writer.exactlyOnce;
      if (store === undefined) throw new FatalPipelineError('SLUICE_DELIVERY=exactly-once but this destination cannot store offsets transactionally', 'config.exactly_once_unsupported');
      const claims = await store.claim(this.options.groupId, partitions);
      for (const claim of claims) {
        const id = partitionId(claim.topic, claim.partition);
        this.epochs.set(id, claim.epoch);
        this.appliedOffsets.set(id, claim.appliedOffsets);
      }
      this.options.logger.info({ event: 'partitions-claimed', partitions: claims.map((claim) => ({ ...claim, appliedOffsets: Object.fromEntries([...claim.appliedOffsets].map(([table, offset]) => [table, offset.toString()])) })) }, 'claimed partitions for exactly-once delivery');
    }
    this.options.logger.info({ event: 'partitions-assigned', partitions }, `assigned ${partitions.length} partition(s)`);
  }

  private async onRevoked(partitions: readonly TopicPartition[]): Promise<void> {
    this.options.logger.info({ event: 'partitions-revoked', partitions }, `revoking ${partitions.length} partition(s): finishing in-flight writes`);
    // From here on, batches of these partitions still waiting to be routed are dropped (see assignmentIds).
    for (const tp of partitions) this.assignmentIds.delete(partitionId(tp.topic, tp.partition));
    const drained = await this.drain(Math.max(1_000, this.options.commitIntervalMs * 10));
    if (!drained) this.options.logger.warn({ event: 'revocation-deadline', partitions }, 'in-flight writes of revoked partitions did not finish in time; the new owner will re-read what was not committed');
    await this.commit();
    const revoked = new Set(partitions.map((tp) => partitionId(tp.topic, tp.partition)));
    for (const tp of partitions) {
      const id = partitionId(tp.topic, tp.partition);
      this.releaseBytes(tp, this.tracker.forget(tp));
      this.continuity.forget(tp);
      this.epochs.delete(id);
      this.appliedOffsets.delete(id);
      this.endPause(id);
    }
    this.options.controller.revoke(partitions);
    this.assigned = this.assigned.filter((tp) => !revoked.has(partitionId(tp.topic, tp.partition)));
  }

  // ---- routing -----------------------------------------------------------------------------

  /**
   * Decodes and routes one tracked record. Returns the bytes charged to it on top of its raw
   * bytes: its decoded change's estimated size (record-memory.ts), held together with the raw
   * record (kept for dead-lettering) until it settles. The caller admits them to the budget;
   * the tracker releases them with the record.
   */
  private route(record: KafkaRecord): number {
    let result: DecodeResult;
    try {
      result = this.options.decoder.decode(record);
    } catch (error) {
      const why: DeadLetterReason =
        error instanceof DecodeError
          ? { reason: error.message, errorClass: 'decode', code: error.code }
          : { reason: `decoder failed: ${(error as Error)?.message ?? String(error)}`, errorClass: 'decode', code: 'decode.internal' };
      this.trackDeadLetter(this.deadLetterOrigins([{ topic: record.topic, partition: record.partition, offset: record.offset }], why));
      return 0;
    }
    if (result.kind === 'skip') {
      this.options.observer?.eventSkipped?.(result.reason);
      this.releaseRecord(record.topic, record.partition, record.offset);
      return 0;
    }
    const event = result.event;
    const target = targetTableFor(event.sourceTable, record.topic, this.options.naming);
    if (this.alreadyApplied(record, target)) {
      this.options.observer?.eventSkipped?.('already-applied');
      this.releaseRecord(record.topic, record.partition, record.offset);
      return 0;
    }
    const table = this.tableFor(target);
    table.schema = event.schema;
    if (table.truncatedBelow !== null && event.source.lsn !== null && event.source.lsn < table.truncatedBelow) {
      // A change from before a truncate already seen (it came late, from another partition).
      this.options.observer?.eventSkipped?.('before-truncate');
      this.releaseRecord(record.topic, record.partition, record.offset);
      return 0;
    }
    // Charged before the routing hold is released: the changes hold the record from here on.
    const charged = this.tracker.charge(record.topic, record.partition, record.offset, decodedChangeBytes(event));
    this.addToTable(table, event);
    // The routing hold: the record is now held by the changes it went into.
    this.releaseRecord(record.topic, record.partition, record.offset);
    return charged;
  }

  private addToTable(table: TableState, event: ChangeEvent): void {
    const position = event.position;
    if (event.kind === 'truncate') {
      const moot = table.truncateOrigins ?? [];
      const lsn = event.source.lsn;
      moot.push(...table.pending.discard(lsn));
      if (lsn !== null && (table.truncatedBelow === null || lsn > table.truncatedBelow)) table.truncatedBelow = lsn;
      moot.push(position);
      this.tracker.retain(position.topic, position.partition, position.offset);
      table.truncateOrigins = moot;
      return;
    }
    const keyColumns = event.schema.key;
    if (event.kind === 'upsert' && event.previousKey !== null) {
      this.addPending(table, event, event.previousKey, encodeRowKey(event.previousKey, keyColumns), 'delete');
    }
    this.addPending(table, event, event.key, encodeRowKey(event.key, keyColumns), event.kind);
  }

  private addPending(table: TableState, event: ChangeEvent, key: Row, encodedKey: string, kind: 'upsert' | 'delete'): void {
    if (table.pending.size === 0) table.firstPendingAt = performance.now();
    table.pending.add(event, encodedKey, key, kind);
    this.tracker.retain(event.position.topic, event.position.partition, event.position.offset);
  }

  private alreadyApplied(record: KafkaRecord, target: TargetTable): boolean {
    if (this.options.delivery !== 'exactly-once') return false;
    const applied = this.appliedOffsets.get(partitionId(record.topic, record.partition))?.get(exactlyOnceTableKey(target));
    return applied !== undefined && record.offset <= applied;
  }

  private tableFor(target: TargetTable): TableState {
    const key = tableKey(target);
    let table = this.tables.get(key);
    if (table === undefined) {
      table = {
        target,
        key,
        pending: new TableCompactor(),
        firstPendingAt: 0,
        busyKeys: new Set(),
        batchesInFlight: 0,
        schema: null,
        truncateOrigins: null,
        truncateBusy: false,
        truncatedBelow: null,
      };
      this.tables.set(key, table);
    }
    return table;
  }

  // ---- scheduling writes -------------------------------------------------------------------

  private schedule(): void {
    if (this.fatalError !== null) return;
    const rows = Math.max(1, Math.min(this.batchRows, this.options.maxBatchRows));
    const now = performance.now();
    // Under memory pressure partly filled batches are written too: waiting for them to fill
    // would hold the memory that fetching needs.
    const memoryPressure = this.paused.size > 0;
    const tables = [...this.tables.values()];
    this.scheduleCursor = (this.scheduleCursor + 1) % Math.max(1, tables.length);
    for (let index = 0; index < tables.length; index++) {
      const table = tables[(this.scheduleCursor + index) % tables.length]!;
      if (table.truncateBusy) continue;
      if (table.truncateOrigins !== null) {
        if (table.batchesInFlight === 0) this.dispatchTruncate(table);
        continue;
      }
      // Cut no more batches than there are write slots: rows left pending keep compacting.
      const exactlyOnce = this.options.delivery === 'exactly-once';
      while (this.batchesInFlight < this.limit.concurrency && table.pending.size > 0 && !(exactlyOnce && table.batchesInFlight > 0)) {
        const ready = table.pending.size >= rows || now - table.firstPendingAt >= this.options.lingerMs || this.flushAll || memoryPressure;
        if (!ready) break;
        const cut = exactlyOnce ? table.pending.drainCovering(table.target, rows) : table.pending.drain(table.target, rows, table.busyKeys);
        if (cut === null) break;
        if (table.pending.size > 0) table.firstPendingAt = now;
        for (const key of cut.keys) table.busyKeys.add(key);
        table.batchesInFlight++;
        this.dispatch(cut.batch, () => {
          for (const key of cut.keys) table.busyKeys.delete(key);
          table.batchesInFlight--;
        });
      }
    }
  }

  private dispatchTruncate(table: TableState): void {
    const origins = table.truncateOrigins ?? [];
    table.truncateOrigins = null;
    table.truncateBusy = true;
    if (table.schema === null) throw new Error('a truncate reached a table with no schema');
    const batch: TableBatch = { table: table.target, schema: table.schema, truncateFirst: true, truncateOrigins: origins, changes: [] };
    this.dispatch(batch, () => {
      table.truncateBusy = false;
    });
  }

  private dispatch(batch: TableBatch, onSettled: () => void): void {
    const stages = this.options.controller.stages;
    const queued = performance.now();
    this.batchesInFlight++;
    void this.limit(async () => {
      const started = performance.now();
      // Waiting for a write slot: the batch queue is held up by its downstream, the writers.
      stages.meter('batch-queue').record('backpressured', queued, started);
      // An open span, so a write that hangs shows as busy while it hangs, not only after.
      const span = stages.meter('write').begin('busy', started);
      let deadLettered: readonly RowChange[];
      try {
        deadLettered = await this.executor.execute(batch);
      } finally {
        stages.meter('write').end(span, performance.now());
      }
      this.options.observer?.batchWritten?.(tableKey(batch.table), batch, performance.now() - started, deadLettered);
    }).then(
      () => {
        this.batchesInFlight--;
        onSettled();
        for (const position of batch.truncateOrigins) this.releaseRecord(position.topic, position.partition, position.offset);
        for (const change of batch.changes) {
          for (const position of change.origins) this.releaseRecord(position.topic, position.partition, position.offset);
        }
        this.schedule();
        this.notifyIfIdle();
      },
      (error: unknown) => {
        this.batchesInFlight--;
        onSettled();
        if (this.abort.signal.aborted) return;
        this.fail(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private releaseRecord(topic: string, partition: number, offset: bigint): void {
    const bytes = this.tracker.release(topic, partition, offset);
    if (bytes > 0) this.releaseBytes({ topic, partition }, bytes);
  }

  private releaseBytes(partition: TopicPartition, bytes: number): void {
    if (bytes <= 0) return;
    this.options.controller.release(partition, bytes);
    if (this.paused.size > 0) this.resume(this.options.controller.resumeIfDrained(), 'in-flight bytes fell to the resume threshold');
    if (this.roomWaiters.length > 0) for (const wake of this.roomWaiters.splice(0)) wake();
  }

  // ---- dead letters ------------------------------------------------------------------------

  private trackDeadLetter(work: Promise<void>): void {
    this.pendingDeadLetters.add(work);
    void work.then(
      () => {
        this.pendingDeadLetters.delete(work);
        this.notifyIfIdle();
      },
      (error: unknown) => {
        this.pendingDeadLetters.delete(work);
        if (!this.abort.signal.aborted) this.fail(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  /**
   * Sends the raw records behind `origins` to the dead-letter topic, retrying until the broker
   * acknowledges (a record is never dropped because the dead-letter topic was unavailable).
   * For decode failures it also releases the routing hold; write failures are released when
   * their batch completes.
   */
  private async deadLetterOrigins(origins: readonly RecordPosition[], why: DeadLetterReason): Promise<void> {
    const now = new Date();
    const messages = [];
    for (const position of origins) {
      const record = this.tracker.rawRecord(position.topic, position.partition, position.offset);
      if (record !== undefined) messages.push(deadLetterMessage(record, why, now));
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.deadLetters.send(this.options.dlqTopic, messages);
        break;
      } catch (error) {
        const delay = backoffDelayMs(this.options.retry, attempt, Math.random);
        this.options.logger.warn({ event: 'dead-letter-retry', topic: this.options.dlqTopic, attempt, delayMs: delay, error: (error as Error).message }, 'could not write to the dead-letter topic; retrying');
        await sleep(delay, this.abort.signal);
      }
    }
    this.options.logger.warn(
      { event: 'dead-lettered', code: why.code, errorClass: why.errorClass, table: why.table, records: origins.map((p) => `${p.topic}/${p.partition}@${p.offset}`) },
      `dead-lettered ${messages.length} record(s): ${why.reason}`,
    );
    this.options.observer?.deadLettered?.(why, messages.length);
    if (why.errorClass === 'decode') {
      for (const position of origins) this.releaseRecord(position.topic, position.partition, position.offset);
    }
  }

  // ---- commits, control, memory ------------------------------------------------------------

  private commit(): Promise<void> {
    if (this.commitRunning !== null) return this.commitRunning;
    const run = async (): Promise<void> => {
      const assigned = new Set(this.assigned.map((tp) => partitionId(tp.topic, tp.partition)));
      const commits = this.tracker.pendingCommits().filter((commit) => assigned.has(partitionId(commit.topic, commit.partition)));
      if (commits.length === 0) return;
      const started = performance.now();
      try {
        await this.options.source.commit(commits);
        this.tracker.markCommitted(commits);
        this.progressState.lastCommitAt = Date.now();
        this.options.observer?.committed?.(commits);
      } catch (error) {
        // Commit failures during a rebalance are expected; the next interval tries again and
        // nothing is lost (at worst a few records are written twice, idempotently).
        this.options.logger.warn({ event: 'commit-failed', error: (error as Error).message }, 'offset commit failed; will retry');
      } finally {
        this.options.controller.stages.meter('commit').record('busy', started, performance.now());
      }
    };
    this.commitRunning = run().finally(() => {
      this.commitRunning = null;
    });
    return this.commitRunning;
  }

  private control(): void {
    if (this.stopping || this.fatalError !== null) return;
    const decision = this.options.controller.tick(performance.now());
    if (this.limit.concurrency !== decision.concurrency) this.limit.concurrency = Math.max(1, decision.concurrency);
    this.batchRows = decision.batchSize;
    const sinkCaused = decision.events.some((event) => event.kind === 'sink-saturated');
    this.pause(decision.pausePartitions, sinkCaused ? 'sink saturated' : 'memory');
    this.resume(decision.resumePartitions, decision.reasons.find((reason) => reason.includes('resuming')) ?? 'in-flight bytes drained and the sink is healthy');
    for (const reason of decision.reasons) {
      this.options.logger.info({ event: 'controller-decision', batchSize: decision.batchSize, concurrency: decision.concurrency }, reason);
    }
    for (const event of decision.events) {
      const calm = event.kind.endsWith('-cleared') || event.kind === 'sink-recovered' || event.kind === 'writes-flowing';
      this.options.logger[calm ? 'info' : 'warn']({ ...event, event: event.kind }, describeControllerEvent(event));
    }
    this.options.observer?.controlDecision?.(decision);
    this.schedule();
  }

  private pause(partitions: readonly TopicPartition[], reason: string): void {
    const fresh = partitions.filter((tp) => !this.paused.has(partitionId(tp.topic, tp.partition)));
    if (fresh.length === 0) return;
    for (const tp of fresh) this.paused.set(partitionId(tp.topic, tp.partition), { partition: tp });
    this.fetchPausedSpan ??= this.options.controller.stages.meter('fetch').begin('backpressured', performance.now());
    this.options.source.pause(fresh);
    this.options.logger.info(
      { event: 'partitions-paused', reason, inflightBytes: this.options.controller.snapshot().inflight.usedBytes, partitions: fresh },
      `paused ${fresh.length} partition(s): ${reason}`,
    );
    this.options.observer?.partitionsPaused?.(fresh, reason);
  }

  private resume(partitions: readonly TopicPartition[], reason: string): void {
    const resumable = partitions.filter((tp) => this.paused.has(partitionId(tp.topic, tp.partition)));
    if (resumable.length === 0 || this.stopping) return;
    for (const tp of resumable) this.endPause(partitionId(tp.topic, tp.partition));
    this.options.source.resume(resumable);
    this.options.logger.info({ event: 'partitions-resumed', reason, inflightBytes: this.options.controller.snapshot().inflight.usedBytes, partitions: resumable }, `resumed ${resumable.length} partition(s): ${reason}`);
    this.options.observer?.partitionsResumed?.(resumable, reason);
  }

  /**
   * The source is back-pressured while any of its partitions is paused, counted as it happens
   * (an open span) so the stage table shows it during a long pause, not only after it ends.
   */
  private endPause(id: string): void {
    if (!this.paused.delete(id)) return;
    if (this.paused.size > 0 || this.fetchPausedSpan === null) return;
    this.options.controller.stages.meter('fetch').end(this.fetchPausedSpan, performance.now());
    this.fetchPausedSpan = null;
  }

  // ---- draining and failure ------------------------------------------------------------------

  private isIdle(): boolean {
    if (this.pendingDeadLetters.size > 0) return false;
    for (const table of this.tables.values()) {
      if (table.truncateBusy || table.truncateOrigins !== null) return false;
      if (table.batchesInFlight > 0 || table.pending.size > 0) return false;
    }
    return true;
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Writes everything pending regardless of linger; true when it all finished in time. */
  private async drain(deadlineMs: number): Promise<boolean> {
    this.flushAll = true;
    try {
      this.schedule();
      if (this.isIdle()) return true;
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      });
      const failed = this.finished.then(() => false);
      const result = await Promise.race([idle, timeout, failed]);
      clearTimeout(timer);
      return result;
    } finally {
      this.flushAll = false;
    }
  }

  private fail(error: Error): void {
    if (this.fatalError !== null) return;
    this.fatalError = error;
    this.options.logger.error({ event: 'fatal', code: (error as Partial<FatalPipelineError>).code, err: error }, `stopping: ${error.message}`);
    this.abort.abort(error);
    for (const timer of this.timers) clearInterval(timer);
    // Whatever was durably written before the failure may still be committed; nothing else is.
    void this.commit()
      .catch(() => undefined)
      .then(() => this.options.source.stop())
      .catch(() => undefined)
      .then(() => this.options.writer.close())
      .catch(() => undefined)
      .then(() => this.resolveFinished(error));
  }

  private every(intervalMs: number, task: () => void): void {
    this.timers.push(setInterval(task, intervalMs));
  }

  private writeContext(): WriteContext {
    if (this.options.delivery !== 'exactly-once') return { signal: this.abort.signal };
    return { signal: this.abort.signal, exactlyOnce: { group: this.options.groupId, epochs: new Map(this.epochs) } };
  }
}
