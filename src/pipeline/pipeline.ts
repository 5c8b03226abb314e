/**
 * The core: consume → decode → route to per-table write lanes → compact → write → commit.
 *
 * Ordering and safety rules this file enforces (the writers rely on them):
 * - Changes are routed to a lane by a hash of their primary key; each lane has at most one
 *   batch in flight, so two batches touching the same key are never in flight together and
 *   per-key source order is kept, while different lanes (and tables) write concurrently.
 * - A TRUNCATE empties the table's lanes (their pending changes are moot), waits until no
 *   batch of that table is in flight, then runs alone; later changes follow it.
 * - A Kafka record is released only when every change it contributed to is durable or
 *   dead-lettered; offsets are committed from the contiguous released prefix (OffsetTracker).
 * - Memory: record bytes are counted from arrival until release; partitions are paused at the
 *   budget's high watermark and the source handler waits at its hard limit.
 * - Exactly-once (postgres): on assignment the writer's offset store is claimed (fencing the
 *   previous owner) and records already applied to a table are skipped on replay.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { ChangeEvent, DecodeResult, RecordPosition, Row, TableSchema } from '../cdc/types.ts';
import { DecodeError } from '../errors.ts';
import type { KafkaRecord, KafkaSource, RecordBatch, TopicPartition } from '../kafka/types.ts';
import type { Logger } from '../observe/logger.ts';
import type { TableBatch, TargetTable, WriteContext, Writer } from '../writer/types.ts';
import { type BackoffPolicy, backoffDelayMs, sleep } from './backoff.ts';
import { BatchExecutor, FatalPipelineError, type WriteObservation } from './batch-executor.ts';
import { LaneCompactor } from './compactor.ts';
import { type DeadLetterProducer, type DeadLetterReason, deadLetterMessage } from './dead-letter.ts';
import type { FlowControl } from './flow-control.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { OffsetTracker, partitionId } from './offset-tracker.ts';
import { encodeRowKey, laneOf } from './row-key.ts';
import { type TableNaming, tableKey, targetTableFor } from './table-naming.ts';

export interface EventDecoder {
  /** Throws DecodeError for records that can never be decoded. */
  decode(record: KafkaRecord): DecodeResult;
}

/** Hooks for metrics and the status page; every method is optional to implement. */
export interface PipelineObserver {
  recordsReceived?(partition: TopicPartition, count: number, bytes: number): void;
  eventSkipped?(reason: string): void;
  batchWritten?(table: string, batch: TableBatch, latencyMs: number): void;
  writeAttempt?(observation: WriteObservation): void;
  deadLettered?(reason: DeadLetterReason, count: number): void;
  committed?(commits: readonly { topic: string; partition: number; offset: bigint }[]): void;
  partitionsPaused?(partitions: readonly TopicPartition[], reason: string): void;
  partitionsResumed?(partitions: readonly TopicPartition[], reason: string): void;
  /** Stage accounting (fetch, decode, batch-queue, write, commit). */
  stageBusy?(stage: 'decode' | 'write' | 'commit', startedAt: number, endedAt: number): void;
  stageBackpressured?(stage: 'fetch', startedAt: number, endedAt: number): void;
}

export interface PipelineOptions {
  readonly source: KafkaSource;
  readonly decoder: EventDecoder;
  readonly writer: Writer;
  readonly deadLetters: DeadLetterProducer;
  readonly dlqTopic: string;
  readonly flow: FlowControl;
  readonly memory: MemoryBudget;
  readonly naming: TableNaming;
  readonly lingerMs: number;
  readonly maxBatchRows: number;
  /** Write lanes per table (= the most concurrency the controller may choose). */
  readonly laneCount: number;
  readonly retry: BackoffPolicy & { readonly maxAttempts: number };
  readonly commitIntervalMs: number;
  readonly controlIntervalMs: number;
  readonly delivery: 'at-least-once' | 'exactly-once';
  readonly groupId: string;
  readonly logger: Logger;
  readonly observer?: PipelineObserver;
}

interface Lane {
  readonly compactor: LaneCompactor;
  busy: boolean;
  firstPendingAt: number;
}

interface TableState {
  readonly target: TargetTable;
  readonly key: string;
  readonly lanes: Lane[];
  schema: TableSchema | null;
  /** Origins of a truncate waiting to run (the truncate records and the changes it made moot). */
  truncateOrigins: RecordPosition[] | null;
  truncateBusy: boolean;
}

export class Pipeline {
  private readonly tracker = new OffsetTracker();
  private readonly tables = new Map<string, TableState>();
  private readonly limit: LimitFunction;
  private readonly executor: BatchExecutor;
  private readonly abort = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pendingDeadLetters = new Set<Promise<void>>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly epochs = new Map<string, number>();
  private readonly appliedOffsets = new Map<string, ReadonlyMap<string, bigint>>();
  private readonly pausedForMemory = new Set<string>();
  private readonly pausedByController = new Set<string>();
  private assigned: TopicPartition[] = [];
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
    this.limit = pLimit(Math.max(1, options.flow.current().concurrency));
    this.executor = new BatchExecutor({
      writer: options.writer,
      retry: options.retry,
      deadLetter: (change, batch, why) => this.deadLetterOrigins(change === null ? batch.truncateOrigins : change.origins, why),
      observe: (observation) => {
        options.flow.observeWrite(observation);
        options.observer?.writeAttempt?.(observation);
      },
      context: () => this.writeContext(),
      logger: options.logger,
      signal: this.abort.signal,
    });
  }

  async start(): Promise<void> {
    await this.options.writer.open();
    await this.options.source.start({
      onBatch: (batch) => this.onBatch(batch),
      onAssigned: (partitions) => this.onAssigned(partitions),
      onRevoked: (partitions) => this.onRevoked(partitions),
    });
    this.every(Math.min(50, this.options.lingerMs), () => this.schedule());
    this.every(this.options.commitIntervalMs, () => void this.commit());
    this.every(this.options.controlIntervalMs, () => this.control());
  }

  /** Graceful stop: no more fetching, finish in-flight writes within the deadline, commit, leave. */
  async stop(deadlineMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
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

  get inflightBytes(): number {
    return this.options.memory.usedBytes;
  }

  pausedPartitions(): TopicPartition[] {
    return this.assigned.filter((tp) => this.isPaused(partitionId(tp.topic, tp.partition)));
  }

  assignment(): readonly TopicPartition[] {
    return this.assigned;
  }

  oldestUnwrittenTimestamp(partition: TopicPartition): number | null {
    return this.tracker.oldestUnsettledTimestamp(partition);
  }

  // ---- source handlers -------------------------------------------------------------------

  private async onBatch(batch: RecordBatch): Promise<void> {
    if (this.stopping || this.fatalError !== null) return;
    const tp = { topic: batch.topic, partition: batch.partition };
    let bytesReceived = 0;
    for (const record of batch.records) {
      const bytes = recordBytes(record);
      if (this.options.memory.wouldExceed(bytes)) {
        // The hard limit: a fetch arrived after we paused. Wait here (the source keeps
        // heartbeating) rather than hold more than SLUICE_MAX_INFLIGHT_BYTES.
        this.applyMemoryPause();
        const waitStarted = performance.now();
        await this.options.memory.waitForRoom(bytes, this.abort.signal).catch(() => undefined);
        this.options.observer?.stageBackpressured?.('fetch', waitStarted, performance.now());
        if (this.stopping || this.fatalError !== null) return;
      }
      this.tracker.track(record, bytes);
      this.options.memory.add(bytes);
      bytesReceived += bytes;
      const decodeStarted = performance.now();
      this.route(record);
      this.options.observer?.stageBusy?.('decode', decodeStarted, performance.now());
    }
    this.options.observer?.recordsReceived?.(tp, batch.records.length, bytesReceived);
    this.schedule();
    this.applyMemoryPause();
  }

  private async onAssigned(partitions: readonly TopicPartition[]): Promise<void> {
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
    if (this.pausedForMemory.size > 0) {
      for (const tp of partitions) this.pausedForMemory.add(partitionId(tp.topic, tp.partition));
      this.options.source.pause(partitions);
    }
    this.options.logger.info({ event: 'partitions-assigned', partitions }, `assigned ${partitions.length} partition(s)`);
  }

  private async onRevoked(partitions: readonly TopicPartition[]): Promise<void> {
    this.options.logger.info({ event: 'partitions-revoked', partitions }, `revoking ${partitions.length} partition(s): finishing in-flight writes`);
    const drained = await this.drain(Math.max(1_000, this.options.commitIntervalMs * 10));
    if (!drained) this.options.logger.warn({ event: 'revocation-deadline', partitions }, 'in-flight writes of revoked partitions did not finish in time; the new owner will re-read what was not committed');
    await this.commit();
    const revoked = new Set(partitions.map((tp) => partitionId(tp.topic, tp.partition)));
    for (const tp of partitions) {
      const id = partitionId(tp.topic, tp.partition);
      this.options.memory.release(this.tracker.forget(tp));
      this.epochs.delete(id);
      this.appliedOffsets.delete(id);
      this.pausedForMemory.delete(id);
      this.pausedByController.delete(id);
    }
    this.assigned = this.assigned.filter((tp) => !revoked.has(partitionId(tp.topic, tp.partition)));
  }

  // ---- routing -----------------------------------------------------------------------------

  private route(record: KafkaRecord): void {
    let result: DecodeResult;
    try {
      result = this.options.decoder.decode(record);
    } catch (error) {
      const why: DeadLetterReason =
        error instanceof DecodeError
          ? { reason: error.message, errorClass: 'decode', code: error.code }
          : { reason: `decoder failed: ${(error as Error)?.message ?? String(error)}`, errorClass: 'decode', code: 'decode.internal' };
      this.trackDeadLetter(this.deadLetterOrigins([{ topic: record.topic, partition: record.partition, offset: record.offset }], why));
      return;
    }
    if (result.kind === 'skip') {
      this.options.observer?.eventSkipped?.(result.reason);
      this.releaseRecord(record.topic, record.partition, record.offset);
      return;
    }
    const event = result.event;
    const target = targetTableFor(event.sourceTable, record.topic, this.options.naming);
    if (this.alreadyApplied(record, target)) {
      this.options.observer?.eventSkipped?.('already-applied');
      this.releaseRecord(record.topic, record.partition, record.offset);
      return;
    }
    const table = this.tableFor(target);
    table.schema = event.schema;
    this.addToTable(table, event);
    // The routing hold: the record is now held by the changes it went into.
    this.releaseRecord(record.topic, record.partition, record.offset);
  }

  private addToTable(table: TableState, event: ChangeEvent): void {
    const position = event.position;
    if (event.kind === 'truncate') {
      const moot = table.truncateOrigins ?? [];
      for (const lane of table.lanes) moot.push(...lane.compactor.discard());
      moot.push(position);
      this.tracker.retain(position.topic, position.partition, position.offset);
      table.truncateOrigins = moot;
      return;
    }
    const keyColumns = event.schema.key;
    if (event.kind === 'upsert' && event.previousKey !== null) {
      this.addToLane(table, event, event.previousKey, encodeRowKey(event.previousKey, keyColumns), 'delete');
    }
    this.addToLane(table, event, event.key, encodeRowKey(event.key, keyColumns), event.kind);
  }

  private addToLane(table: TableState, event: ChangeEvent, key: Row, encodedKey: string, kind: 'upsert' | 'delete'): void {
    const lane = table.lanes[laneOf(encodedKey, table.lanes.length)]!;
    if (lane.compactor.size === 0) lane.firstPendingAt = performance.now();
    lane.compactor.add(event, encodedKey, key, kind);
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
        lanes: Array.from({ length: this.options.laneCount }, () => ({ compactor: new LaneCompactor(), busy: false, firstPendingAt: 0 })),
        schema: null,
        truncateOrigins: null,
        truncateBusy: false,
      };
      this.tables.set(key, table);
    }
    return table;
  }

  // ---- scheduling writes -------------------------------------------------------------------

  private schedule(): void {
    if (this.fatalError !== null) return;
    const { batchRows, concurrency } = this.options.flow.current();
    if (this.limit.concurrency !== concurrency) this.limit.concurrency = Math.max(1, concurrency);
    const rows = Math.max(1, Math.min(batchRows, this.options.maxBatchRows));
    const now = performance.now();
    const memoryPressure = this.options.memory.usedBytes >= this.options.memory.highWatermark;
    for (const table of this.tables.values()) {
      if (table.truncateBusy) continue;
      if (table.truncateOrigins !== null) {
        if (table.lanes.every((lane) => !lane.busy)) this.dispatchTruncate(table);
        continue;
      }
      for (const lane of table.lanes) {
        if (lane.busy || lane.compactor.size === 0) continue;
        const ready = lane.compactor.size >= rows || now - lane.firstPendingAt >= this.options.lingerMs || this.flushAll || memoryPressure;
        if (!ready) continue;
        const batch = lane.compactor.drain(table.target, rows);
        if (batch === null) continue;
        if (lane.compactor.size > 0) lane.firstPendingAt = now;
        lane.busy = true;
        this.dispatch(batch, () => {
          lane.busy = false;
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
    void this.limit(async () => {
      const started = performance.now();
      await this.executor.execute(batch);
      const ended = performance.now();
      this.options.observer?.stageBusy?.('write', started, ended);
      this.options.observer?.batchWritten?.(tableKey(batch.table), batch, ended - started);
    }).then(
      () => {
        onSettled();
        for (const position of batch.truncateOrigins) this.releaseRecord(position.topic, position.partition, position.offset);
        for (const change of batch.changes) {
          for (const position of change.origins) this.releaseRecord(position.topic, position.partition, position.offset);
        }
        this.schedule();
        this.notifyIfIdle();
      },
      (error: unknown) => {
        onSettled();
        if (this.abort.signal.aborted) return;
        this.fail(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private releaseRecord(topic: string, partition: number, offset: bigint): void {
    this.options.memory.release(this.tracker.release(topic, partition, offset));
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
        this.options.observer?.committed?.(commits);
      } catch (error) {
        // Commit failures during a rebalance are expected; the next interval tries again and
        // nothing is lost (at worst a few records are written twice, idempotently).
        this.options.logger.warn({ event: 'commit-failed', error: (error as Error).message }, 'offset commit failed; will retry');
      } finally {
        this.options.observer?.stageBusy?.('commit', started, performance.now());
      }
    };
    this.commitRunning = run().finally(() => {
      this.commitRunning = null;
    });
    return this.commitRunning;
  }

  private control(): void {
    if (this.stopping || this.fatalError !== null) return;
    const decision = this.options.flow.tick(performance.now(), { inflightBytes: this.options.memory.usedBytes, assigned: this.assigned });
    const toPause = decision.pausePartitions.filter((tp) => !this.pausedByController.has(partitionId(tp.topic, tp.partition)));
    for (const tp of toPause) this.pausedByController.add(partitionId(tp.topic, tp.partition));
    if (toPause.length > 0) {
      this.options.source.pause(toPause);
      this.options.observer?.partitionsPaused?.(toPause, 'sink saturated');
    }
    const toResume: TopicPartition[] = [];
    for (const tp of decision.resumePartitions) {
      const id = partitionId(tp.topic, tp.partition);
      if (!this.pausedByController.delete(id)) continue;
      if (!this.pausedForMemory.has(id)) toResume.push(tp);
    }
    if (toResume.length > 0) {
      this.options.source.resume(toResume);
      this.options.observer?.partitionsResumed?.(toResume, 'sink drained');
    }
    this.applyMemoryPause();
    this.schedule();
  }

  /** Pause everything at the high watermark; resume below the low watermark (hysteresis). */
  private applyMemoryPause(): void {
    const memory = this.options.memory;
    if (memory.usedBytes >= memory.highWatermark) {
      const newlyPaused = this.assigned.filter((tp) => !this.pausedForMemory.has(partitionId(tp.topic, tp.partition)));
      if (newlyPaused.length === 0) return;
      for (const tp of newlyPaused) this.pausedForMemory.add(partitionId(tp.topic, tp.partition));
      this.options.source.pause(newlyPaused);
      this.options.logger.info({ event: 'partitions-paused', reason: 'memory', inflightBytes: memory.usedBytes, highWatermark: memory.highWatermark, partitions: newlyPaused }, `paused ${newlyPaused.length} partition(s): in-flight bytes reached the high watermark`);
      this.options.observer?.partitionsPaused?.(newlyPaused, 'memory');
    } else if (this.pausedForMemory.size > 0 && memory.usedBytes <= memory.lowWatermark && !this.stopping) {
      const resumable = this.assigned.filter((tp) => {
        const id = partitionId(tp.topic, tp.partition);
        return this.pausedForMemory.has(id) && !this.pausedByController.has(id);
      });
      this.pausedForMemory.clear();
      if (resumable.length === 0) return;
      this.options.source.resume(resumable);
      this.options.logger.info({ event: 'partitions-resumed', reason: 'memory', inflightBytes: memory.usedBytes, lowWatermark: memory.lowWatermark, partitions: resumable }, `resumed ${resumable.length} partition(s): in-flight bytes fell below the low watermark`);
      this.options.observer?.partitionsResumed?.(resumable, 'memory');
    }
  }

  private isPaused(id: string): boolean {
    return this.pausedForMemory.has(id) || this.pausedByController.has(id);
  }

  // ---- draining and failure ------------------------------------------------------------------

  private isIdle(): boolean {
    if (this.pendingDeadLetters.size > 0) return false;
    for (const table of this.tables.values()) {
      if (table.truncateBusy || table.truncateOrigins !== null) return false;
      for (const lane of table.lanes) if (lane.busy || lane.compactor.size > 0) return false;
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

/** Key of a table in the exactly-once offsets store (see PartitionClaim.appliedOffsets). */
export function exactlyOnceTableKey(table: TargetTable): string {
  return table.namespace === null ? table.name : `${table.namespace}.${table.name}`;
}

/** Bytes a record holds in memory: payload plus a fixed allowance for the objects around it. */
function recordBytes(record: KafkaRecord): number {
  return (record.key?.length ?? 0) + (record.value?.length ?? 0) + 256;
}
