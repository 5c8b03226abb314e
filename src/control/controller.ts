/**
 * The adaptive controller: one decision per interval about batch size, write concurrency and
 * which partitions to pause, from what the pipeline reports. Pure logic with an injected clock:
 * every method takes `now` (ms) from the caller, nothing here sets timers or does I/O, so the
 * same code runs in the pipeline and in the deterministic simulation (test/simulation/).
 *
 * How the pipeline uses it
 * ------------------------
 *   const controller = new Controller({ maxInflightBytes, headroomBytes: fetchMaxBytes, ... });
 *
 *   // assignment (from KafkaSource onAssigned / onRevoked)
 *   controller.assign(partitions);             controller.revoke(partitions);
 *
 *   // memory bound: every fetched batch is admitted, every written/dropped one released.
 *   // admit() returns the partitions to pause NOW (usually empty); pause them before returning
 *   // from onBatch. source.pause() stops fetching only: the consumer keeps heartbeating.
 *   const toPause = controller.admit({ topic, partition }, bytes, records);
 *   if (toPause.length > 0) source.pause(toPause);
 *   controller.release({ topic, partition }, bytes);           // after commit or on revoke
 *   source.resume(controller.resumeIfDrained());               // at once, not at the next tick
 *
 *   // writes: one begin/end pair per ATTEMPT (a retry is a new attempt)
 *   const attempt = controller.beginWrite({ rows, bytes }, now);
 *   controller.endWrite(attempt, now, null);                     // success
 *   controller.endWrite(attempt, now, sinkError.errorClass);     // failure, classified
 *
 *   // stages (Flink-style diagnosis): controller.stages.meter('decode').record('busy', t0, t1) …
 *
 *   // lag, on its own sampling interval (KafkaAdmin.endOffsets / committedOffsets)
 *   controller.recordLag({ at: now, partitions: [...] });
 *   controller.setRetention(topic, { ms, bytes });               // from KafkaAdmin.retention
 *
 *   // once per interval (1 s is a good default; slower sinks tolerate more):
 *   const d = controller.tick(now);
 *   limit.concurrency = d.concurrency;        // p-limit ≥ 6: the limit is a settable property
 *   batcher.maxRows = d.batchSize;            // applies to batches cut from now on
 *   source.pause(d.pausePartitions); source.resume(d.resumePartitions);
 *   for (const r of d.reasons) logger.info({ event: 'controller-decision' }, r);
 *   for (const e of d.events) logger.warn({ event: e.kind, ...e });
 *
 *   controller.snapshot()                      // status page, /metrics, CLI
 *
 * Notes for the pipeline:
 *   - A retried batch keeps its p-limit slot while it waits; honour SinkError.retryAfterMs for
 *     the delay. Lowering `limit.concurrency` lets running writes finish.
 *   - Record stage activity where it happens: fetch (busy while handling a fetch; back-pressured
 *     while paused for memory or sink), decode (busy), batch-queue (back-pressured while a full
 *     batch waits for a write slot), write (begin/end per attempt: the controller sets the
 *     meter's parallelism to the concurrency), commit (busy while committing).
 *   - Fixed settings (benchmarks, or an operator override): pass min = max = initial for batch
 *     size and concurrency; lag, retention, stage diagnosis and the memory bound still work.
 *   - Persist snapshot().lastGoodConcurrency and pass it back as concurrency.initial after a
 *     restart for a warm start.
 *
 * Decisions, in order of precedence:
 *   1. backpressure errors in the interval → concurrency × backpressureDecreaseRatio and batch
 *      × shrinkFactor; repeated at the minimum, or no success for saturationMs → the sink is
 *      saturated: pause every partition until a write succeeds;
 *   2. retryable failures only (sink unavailable) → concurrency decreases, remembering the last
 *      good value for a warm start;
 *   3. otherwise batch size hill-climbs on per-row cost (adaptive-batch-size.ts); when it did not
 *      change, concurrency follows AIMD on latency (adaptive-concurrency.ts). One knob grows per
 *      interval, so each measurement is attributable to one change;
 *   4. memory: pause at the budget's pause threshold (also checked in admit), resume at its
 *      resume threshold (inflight-budget.ts), unless the sink is still saturated.
 */
import type { ErrorClass } from '../errors.ts';
import type { TopicPartition } from '../kafka/types.ts';
import { AdaptiveBatchSize, type AdaptiveBatchSizeConfig } from './adaptive-batch-size.ts';
import { AdaptiveConcurrency, type AdaptiveConcurrencyConfig } from './adaptive-concurrency.ts';
import { EwmaVariance, type MeanDeviation } from './ewma.ts';
import { InflightBudget, type InflightUsage } from './inflight-budget.ts';
import { type LagAssessment, type LagClass, type LagSample, LagTracker, type LagTrackerConfig, partitionKey } from './lag.ts';
import { earliestBreach, type PartitionEta, type RetentionPolicy, stalledTimeToBreachSeconds, timeToRetentionBreach } from './retention.ts';
import { type StageDiagnosis, type StageName, StageMeters } from './stages.ts';
import { WriteStallDetector, type WriteStallConfig } from './write-stall.ts';

export interface ControllerConfig {
  /**
   * How often the pipeline calls tick() (ms). The logic itself counts intervals, not ms; this is
   * carried so the service keeps its control settings in one place.
   */
  readonly intervalMs: number;
  /** SLUICE_MAX_INFLIGHT_BYTES: buffered + in-flight bytes never exceed it. */
  readonly maxInflightBytes: number;
  /** What the source may still deliver after pause(): ≥ fetch.max.bytes × brokers fetched from. */
  readonly headroomBytes: number;
  /** Resume partitions when usage falls to this fraction of maxInflightBytes. */
  readonly resumeFraction: number;
  readonly batchSize: Partial<AdaptiveBatchSizeConfig>;
  readonly concurrency: Partial<AdaptiveConcurrencyConfig>;
  readonly lag: Partial<LagTrackerConfig>;
  /** When a partition counts as not being written at all (write-stall.ts). */
  readonly writeStall: Partial<WriteStallConfig>;
  /** Warn when a partition would lose unwritten records to retention within this many seconds. */
  readonly retentionWarningSeconds: number;
  /** No successful write for this long while writes fail → the sink is saturated (pause all). */
  readonly saturationMs: number;
  /** Consecutive intervals with backpressure at minimum concurrency that also mean saturated. */
  readonly saturationIntervals: number;
  /** A write attempt running longer than this is reported (a lock held, a hung connection). */
  readonly stalledWriteMs: number;
  /** Sliding window of the stage meters. */
  readonly stageWindowMs: number;
}

export const defaultControllerConfig: ControllerConfig = {
  intervalMs: 1_000,
  maxInflightBytes: 256 * 1024 * 1024,
  headroomBytes: 52_428_800,
  resumeFraction: 0.5,
  batchSize: {},
  concurrency: {},
  lag: {},
  writeStall: {},
  retentionWarningSeconds: 3_600,
  saturationMs: 5_000,
  saturationIntervals: 3,
  stalledWriteMs: 30_000,
  stageWindowMs: 10_000,
};

export interface WriteAttempt {
  readonly id: number;
  readonly startedAt: number;
  readonly rows: number;
  readonly bytes: number;
  /** The batch size in force when the attempt began. */
  readonly batchSize: number;
  /** Knob generation when it began: only attempts begun after the last change judge that change. */
  readonly generation: number;
}

export type ControllerEvent =
  | { readonly kind: 'lag-class-changed'; readonly from: LagClass; readonly to: LagClass; readonly lag: number; readonly slope: number }
  | { readonly kind: 'hot-partition'; readonly topic: string; readonly partition: number; readonly lag: number; readonly siblingMedianLag: number }
  | { readonly kind: 'hot-partition-cleared'; readonly topic: string; readonly partition: number }
  | {
      readonly kind: 'retention-risk';
      readonly topic: string;
      readonly partition: number;
      readonly etaSeconds: number;
      readonly limitedBy: 'time' | 'bytes';
      /**
       * Nothing is being written on the partition: its oldest unwritten record is deleted by time
       * retention in retention.ms − its age, a certainty unless writing resumes (not a trend).
       */
      readonly writingStalled: boolean;
    }
  | { readonly kind: 'retention-risk-cleared' }
  | { readonly kind: 'bottleneck-changed'; readonly from: StageName | null; readonly to: StageName | null }
  | { readonly kind: 'sink-saturated'; readonly reason: string }
  | { readonly kind: 'writes-stalled'; readonly oldestWriteMs: number; readonly inFlightWrites: number }
  | { readonly kind: 'writes-flowing' }
  | { readonly kind: 'sink-recovered' };

export interface Decision {
  readonly at: number;
  readonly batchSize: number;
  readonly concurrency: number;
  /** Partitions to pause now (not already paused). */
  readonly pausePartitions: readonly TopicPartition[];
  /** Partitions to resume now. */
  readonly resumePartitions: readonly TopicPartition[];
  /** Why anything changed, human-readable; empty when nothing did. */
  readonly reasons: readonly string[];
  /** Diagnoses worth logging once (they fire on change, not every interval). */
  readonly events: readonly ControllerEvent[];
}

export type PauseCause = 'memory' | 'sink';

export interface ControllerSnapshot {
  readonly at: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly inFlightWrites: number;
  /** Age of the oldest write attempt still running, ms; null when none is. */
  readonly oldestWriteMs: number | null;
  readonly lastGoodConcurrency: number;
  readonly paused: readonly { readonly topic: string; readonly partition: number; readonly causes: readonly PauseCause[] }[];
  readonly lastChange: { readonly at: number; readonly reasons: readonly string[] } | null;
  /** EWMA of per-interval mean write latency. */
  readonly writeLatencyMs: MeanDeviation | null;
  readonly sinkSaturated: boolean;
  readonly inflight: InflightUsage;
  readonly lag: LagAssessment | null;
  readonly retention: {
    readonly earliest: PartitionEta | null;
    readonly partitions: readonly PartitionEta[];
  };
  readonly stages: StageDiagnosis | null;
  readonly bottleneck: StageName | null;
}

/** A partition's retention ETA, with what the warning needs to know beyond the snapshot's view. */
interface RetentionEstimate extends PartitionEta {
  /** While writing is stalled: seconds until time retention deletes the oldest unwritten record. */
  readonly stalledSeconds: number | null;
}

interface IntervalStats {
  successes: number;
  latencySum: number;
  /** Latency of successes begun since the last knob change (for the concurrency baseline). */
  currentGenerationLatencySum: number;
  currentGenerationRowsSum: number;
  currentGenerationSuccesses: number;
  backpressure: number;
  retryable: number;
  reachedLimit: boolean;
  /** Most writes in flight at once during the interval. */
  maxInFlight: number;
  begun: number;
  full: number;
  sparse: number;
}

function emptyInterval(): IntervalStats {
  return {
    successes: 0,
    latencySum: 0,
    currentGenerationLatencySum: 0,
    currentGenerationRowsSum: 0,
    currentGenerationSuccesses: 0,
    backpressure: 0,
    retryable: 0,
    reachedLimit: false,
    maxInFlight: 0,
    begun: 0,
    full: 0,
    sparse: 0,
  };
}

export class Controller {
  readonly config: ControllerConfig;
  /** The pipeline records stage activity here (see stages.ts). */
  readonly stages: StageMeters;
  private readonly batch: AdaptiveBatchSize;
  private readonly concurrencyControl: AdaptiveConcurrency;
  private readonly budget: InflightBudget;
  private readonly lagTracker: LagTracker;
  private readonly writeStall: WriteStallDetector;
  private readonly latency: EwmaVariance;
  private readonly retentionPolicies = new Map<string, RetentionPolicy>();
  private readonly assigned = new Map<string, TopicPartition>();
  private readonly paused = new Map<string, Set<PauseCause>>();
  /** Attempt id → start time. */
  private readonly inFlight = new Map<number, number>();
  private writesStalled = false;
  private nextAttemptId = 1;
  /** Incremented whenever batch size or concurrency changes. */
  private generation = 0;
  /** Generation in which the concurrency last changed. */
  private concurrencyGeneration = 0;
  private interval = emptyInterval();
  private averageRecordBytes: number | null = null;
  /** First failed attempt since the last success; null while writes succeed. */
  private failingSince: number | null = null;
  private backpressureAtMinimum = 0;
  private sinkSaturated = false;
  private lastLagClass: LagClass = 'steady';
  private hotNamed = new Set<string>();
  /** ETA last reported in a retention-risk event; null while not at risk. */
  private reportedEtaSeconds: number | null = null;
  private retentionEtas: RetentionEstimate[] = [];
  private lastChange: { at: number; reasons: readonly string[] } | null = null;
  private lastTickAt = 0;

  constructor(config: Partial<ControllerConfig> = {}) {
    this.config = { ...defaultControllerConfig, ...config };
    this.stages = new StageMeters(this.config.stageWindowMs);
    this.batch = new AdaptiveBatchSize(this.config.batchSize);
    this.concurrencyControl = new AdaptiveConcurrency(this.config.concurrency);
    this.budget = new InflightBudget({
      maxBytes: this.config.maxInflightBytes,
      headroomBytes: this.config.headroomBytes,
      resumeFraction: this.config.resumeFraction,
    });
    this.lagTracker = new LagTracker(this.config.lag);
    this.writeStall = new WriteStallDetector(this.config.writeStall);
    this.latency = new EwmaVariance(this.concurrencyControl.config.ewmaAlpha);
    this.stages.meter('write').parallelism = this.concurrencyControl.limit;
  }

  get batchSize(): number {
    return this.batch.size;
  }

  get concurrency(): number {
    return this.concurrencyControl.limit;
  }

  assign(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.assigned.set(partitionKey(p.topic, p.partition), p);
  }

  /** Forget revoked partitions. Their bytes must still be released by the pipeline. */
  revoke(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) {
      const key = partitionKey(p.topic, p.partition);
      this.assigned.delete(key);
      this.paused.delete(key);
      this.hotNamed.delete(key);
      this.writeStall.forget(key);
    }
    this.lagTracker.forget(partitions);
  }

  /**
   * Count fetched bytes against the memory bound. Returns the partitions the pipeline must
   * pause now (before fetching more) because usage reached the pause threshold.
   */
  admit(partition: TopicPartition, bytes: number, records: number): readonly TopicPartition[] {
    const key = partitionKey(partition.topic, partition.partition);
    if (!this.assigned.has(key)) this.assigned.set(key, partition);
    this.budget.add(key, bytes);
    if (records > 0) {
      const sample = bytes / records;
      this.averageRecordBytes =
        this.averageRecordBytes === null ? sample : this.averageRecordBytes + 0.05 * (sample - this.averageRecordBytes);
    }
    return this.budget.mustPause ? this.pauseAll('memory') : [];
  }

  release(partition: TopicPartition, bytes: number): void {
    this.budget.remove(partitionKey(partition.topic, partition.partition), bytes);
  }

  /**
   * The mirror of admit(): once released bytes bring usage down to the resume threshold, the
   * partitions paused only for memory may resume now rather than at the next tick, so a sink
   * faster than one interval's worth of buffer is not left idle with nothing to write. Returns
   * them (usually none) and forgets their pause; partitions paused because the sink is
   * saturated stay paused. The pipeline calls it after release() while it has paused partitions.
   */
  resumeIfDrained(): readonly TopicPartition[] {
    if (this.paused.size === 0 || !this.budget.mayResume) return [];
    this.clearCause('memory');
    const resumed: TopicPartition[] = [];
    for (const [key, causes] of [...this.paused]) {
      if (causes.size > 0) continue;
      this.paused.delete(key);
      const partition = this.assigned.get(key);
      if (partition !== undefined) resumed.push(partition);
    }
    return resumed;
  }

  beginWrite(batch: { readonly rows: number; readonly bytes: number }, now: number): WriteAttempt {
    const attempt: WriteAttempt = {
      id: this.nextAttemptId++,
      startedAt: now,
      rows: batch.rows,
      bytes: batch.bytes,
      batchSize: this.batch.size,
      generation: this.generation,
    };
    this.inFlight.set(attempt.id, now);
    if (this.inFlight.size >= this.concurrencyControl.limit) this.interval.reachedLimit = true;
    this.interval.maxInFlight = Math.max(this.interval.maxInFlight, this.inFlight.size);
    this.interval.begun += 1;
    if (this.batch.isFull(batch.rows, attempt.batchSize)) this.interval.full += 1;
    if (this.batch.isSparse(batch.rows, attempt.batchSize)) this.interval.sparse += 1;
    return attempt;
  }

  /** `errorClass` null = the whole batch is durable. Poison and fatal do not steer the controller. */
  endWrite(attempt: WriteAttempt, now: number, errorClass: ErrorClass | null): void {
    if (!this.inFlight.delete(attempt.id)) return;
    if (errorClass === null) {
      const latencyMs = Math.max(0, now - attempt.startedAt);
      this.interval.successes += 1;
      this.interval.latencySum += latencyMs;
      if (attempt.generation === this.generation) {
        this.interval.currentGenerationSuccesses += 1;
        this.interval.currentGenerationLatencySum += latencyMs;
        this.interval.currentGenerationRowsSum += attempt.rows;
      }
      // Efficiency is only comparable between writes made under the same concurrency.
      if (attempt.generation >= this.concurrencyGeneration) {
        this.batch.observe(attempt.batchSize, attempt.rows, latencyMs);
      }
      this.failingSince = null;
    } else if (errorClass === 'backpressure' || errorClass === 'retryable') {
      if (errorClass === 'backpressure') this.interval.backpressure += 1;
      else this.interval.retryable += 1;
      this.failingSince ??= now;
    }
  }

  recordLag(sample: LagSample): LagAssessment {
    const assessment = this.lagTracker.record(sample);
    this.estimateRetention(assessment);
    return assessment;
  }

  /** retention.ms / retention.bytes of a topic (-1 = unlimited), as KafkaAdmin.retention reports. */
  setRetention(topic: string, policy: RetentionPolicy): void {
    this.retentionPolicies.set(topic, policy);
  }

  tick(now: number): Decision {
    const stats = this.interval;
    this.interval = emptyInterval();
    this.lastTickAt = now;
    const reasons: string[] = [];
    const events: ControllerEvent[] = [];

    const meanLatency = stats.successes > 0 ? stats.latencySum / stats.successes : null;
    if (meanLatency !== null) this.latency.update(meanLatency);
    const lag = this.lagTracker.latest();
    const lagGrowing = lag !== null && lag.total.growingForMs > 0;
    const lagFlat = lag === null || lag.total.lagClass === 'steady';

    this.assessLag(lag, events);
    this.assessRetention(lag, events);
    this.stages.meter('write').parallelism = this.concurrencyControl.limit;
    const diagnosis = this.stages.evaluate(now);
    if (diagnosis.changed !== null) events.push({ kind: 'bottleneck-changed', ...diagnosis.changed });
    this.assessStalledWrites(now, events);

    // Knobs.
    const batchBefore = this.batch.size;
    const concurrencyBefore = this.concurrencyControl.limit;
    const backpressure = stats.backpressure > 0;
    const unavailable = !backpressure && stats.retryable > 0 && stats.successes === 0;
    const concurrencyInterval = {
      meanLatencyMs:
        stats.currentGenerationSuccesses > 0 ? stats.currentGenerationLatencySum / stats.currentGenerationSuccesses : null,
      meanRows: stats.currentGenerationSuccesses > 0 ? stats.currentGenerationRowsSum / stats.currentGenerationSuccesses : null,
      backpressure,
      unavailable,
      reachedLimit: stats.reachedLimit,
      alone: stats.maxInFlight <= 1,
    };
    const batchInterval = {
      now,
      backpressure,
      latencyMs: this.latency.state()?.mean ?? null,
      lagGrowing,
      lagFlat,
      batchesFilling: stats.begun > 0 && stats.full * 2 >= stats.begun,
      batchesSparse: stats.begun > 0 && stats.sparse === stats.begun,
    };
    if (backpressure || unavailable) {
      // Failures shrink: concurrency always, batch size on the sink's explicit verdict only.
      const c = this.concurrencyControl.step(concurrencyInterval);
      if (c.reason !== null) reasons.push(c.reason);
      if (backpressure) {
        const b = this.batch.step(batchInterval);
        if (b.reason !== null) reasons.push(b.reason);
        if (b.change !== 'hold') this.concurrencyControl.resetBaseline();
      }
    } else {
      const b = this.batch.step(batchInterval);
      if (b.reason !== null) reasons.push(b.reason);
      if (b.change !== 'hold') {
        this.concurrencyControl.resetBaseline();
      } else {
        const c = this.concurrencyControl.step(concurrencyInterval);
        if (c.reason !== null) reasons.push(c.reason);
      }
    }
    if (this.batch.size !== batchBefore || this.concurrencyControl.limit !== concurrencyBefore) this.generation += 1;
    if (this.concurrencyControl.limit !== concurrencyBefore) {
      this.batch.invalidate();
      this.concurrencyGeneration = this.generation;
    }
    this.stages.meter('write').parallelism = this.concurrencyControl.limit;

    // Saturation and pausing.
    const atMinimum = this.concurrencyControl.limit <= this.concurrencyControl.config.min;
    this.backpressureAtMinimum = backpressure && atMinimum ? this.backpressureAtMinimum + 1 : 0;
    const failingWithoutSuccess = this.failingSince !== null && now - this.failingSince >= this.config.saturationMs;
    const pausePartitions: TopicPartition[] = [];
    const resumePartitions: TopicPartition[] = [];
    if (!this.sinkSaturated && (failingWithoutSuccess || this.backpressureAtMinimum >= this.config.saturationIntervals)) {
      this.sinkSaturated = true;
      const why = failingWithoutSuccess
        ? `no successful write for ${this.config.saturationMs} ms`
        : `backpressure for ${this.backpressureAtMinimum} intervals at minimum concurrency`;
      events.push({ kind: 'sink-saturated', reason: why });
      const newlyPaused = this.pauseAll('sink');
      pausePartitions.push(...newlyPaused);
      if (newlyPaused.length > 0) reasons.push(`sink saturated (${why}): pausing ${newlyPaused.length} partition(s)`);
    } else if (this.sinkSaturated && this.failingSince === null && !backpressure) {
      this.sinkSaturated = false;
      events.push({ kind: 'sink-recovered' });
      this.clearCause('sink');
    }
    if (this.budget.mustPause) {
      const newlyPaused = this.pauseAll('memory');
      pausePartitions.push(...newlyPaused);
      if (newlyPaused.length > 0) reasons.push(this.memoryReason('pausing', newlyPaused.length));
    } else if (this.budget.mayResume) {
      this.clearCause('memory');
    }
    for (const [key, causes] of [...this.paused]) {
      if (causes.size > 0) continue;
      this.paused.delete(key);
      const partition = this.assigned.get(key);
      if (partition !== undefined) resumePartitions.push(partition);
    }
    if (resumePartitions.length > 0) reasons.push(this.memoryReason('resuming', resumePartitions.length));

    if (reasons.length > 0) this.lastChange = { at: now, reasons };
    return {
      at: now,
      batchSize: this.batch.size,
      concurrency: this.concurrencyControl.limit,
      pausePartitions,
      resumePartitions,
      reasons,
      events,
    };
  }

  snapshot(): ControllerSnapshot {
    const stages = this.stages.latest();
    const retentionEtas: PartitionEta[] = this.retentionEtas.map(({ topic, partition, eta }) => ({ topic, partition, eta }));
    return {
      at: this.lastTickAt,
      batchSize: this.batch.size,
      concurrency: this.concurrencyControl.limit,
      inFlightWrites: this.inFlight.size,
      oldestWriteMs:
        this.inFlight.size === 0 ? null : this.lastTickAt - Math.min(...this.inFlight.values()),
      lastGoodConcurrency: this.concurrencyControl.lastGood,
      paused: [...this.paused].map(([key, causes]) => {
        const p = this.assigned.get(key);
        return { topic: p?.topic ?? key, partition: p?.partition ?? -1, causes: [...causes] };
      }),
      lastChange: this.lastChange,
      writeLatencyMs: this.latency.state(),
      sinkSaturated: this.sinkSaturated,
      inflight: this.budget.usage(),
      lag: this.lagTracker.latest(),
      retention: { earliest: earliestBreach(retentionEtas), partitions: retentionEtas },
      stages,
      bottleneck: stages?.bottleneck ?? null,
    };
  }

  /**
   * Writes that neither succeed nor fail (a lock held on the target table) do not steer the
   * knobs — the memory bound pauses partitions — but the operator should hear of them.
   */
  private assessStalledWrites(now: number, events: ControllerEvent[]): void {
    let oldest = now;
    for (const startedAt of this.inFlight.values()) oldest = Math.min(oldest, startedAt);
    const oldestWriteMs = now - oldest;
    if (!this.writesStalled && oldestWriteMs >= this.config.stalledWriteMs) {
      this.writesStalled = true;
      events.push({ kind: 'writes-stalled', oldestWriteMs, inFlightWrites: this.inFlight.size });
    } else if (this.writesStalled && oldestWriteMs < this.config.stalledWriteMs) {
      this.writesStalled = false;
      events.push({ kind: 'writes-flowing' });
    }
  }

  private pauseAll(cause: PauseCause): TopicPartition[] {
    const newlyPaused: TopicPartition[] = [];
    for (const [key, partition] of this.assigned) {
      const causes = this.paused.get(key);
      if (causes === undefined) {
        this.paused.set(key, new Set([cause]));
        newlyPaused.push(partition);
      } else {
        causes.add(cause);
      }
    }
    return newlyPaused;
  }

  private clearCause(cause: PauseCause): void {
    for (const causes of this.paused.values()) causes.delete(cause);
  }

  private memoryReason(action: 'pausing' | 'resuming', count: number): string {
    const u = this.budget.usage();
    const mib = (bytes: number) => (bytes / 1_048_576).toFixed(1);
    return action === 'pausing'
      ? `in-flight ${mib(u.usedBytes)} MiB reached the pause threshold ${mib(u.pauseAtBytes)} MiB (max ${mib(u.maxBytes)} MiB): pausing ${count} partition(s)`
      : `in-flight ${mib(u.usedBytes)} MiB at or below ${mib(u.resumeAtBytes)} MiB and sink healthy: resuming ${count} partition(s)`;
  }

  private assessLag(lag: LagAssessment | null, events: ControllerEvent[]): void {
    if (lag === null) return;
    if (lag.total.lagClass !== this.lastLagClass) {
      events.push({
        kind: 'lag-class-changed',
        from: this.lastLagClass,
        to: lag.total.lagClass,
        lag: lag.total.lag,
        slope: lag.total.shortSlope,
      });
      this.lastLagClass = lag.total.lagClass;
    }
    const hotNow = new Set<string>();
    for (const hot of lag.hot) {
      const key = partitionKey(hot.topic, hot.partition);
      hotNow.add(key);
      if (!this.hotNamed.has(key)) events.push({ kind: 'hot-partition', ...hot });
    }
    for (const key of this.hotNamed) {
      if (hotNow.has(key)) continue;
      const p = this.assigned.get(key);
      if (p !== undefined) events.push({ kind: 'hot-partition-cleared', topic: p.topic, partition: p.partition });
    }
    this.hotNamed = hotNow;
  }

  /**
   * Retention ETA per partition, recomputed with every lag sample. Linear growth is extrapolated
   * with the long-window slope, exponential growth with the short-window one (the recent, steeper
   * slope). A partition whose writing has stalled (its oldest unwritten record ages one second
   * per second, write-stall.ts) gets the time limit's certain ETA, retention.ms − age, instead.
   */
  private estimateRetention(lag: LagAssessment): void {
    this.retentionEtas = [];
    for (const p of lag.partitions) {
      // Every sample feeds the stall detector, so a retention policy learnt later finds its history.
      const writingStalled = this.writeStall.observe(partitionKey(p.topic, p.partition), lag.at, p.oldestUnwrittenAgeMs);
      const policy = this.retentionPolicies.get(p.topic);
      if (policy === undefined) continue;
      const slope = p.lagClass === 'exponential' ? Math.max(p.shortSlope, p.longSlope) : p.longSlope;
      const eta = timeToRetentionBreach(policy, {
        lagRecords: p.lag,
        lagSlope: slope,
        productionRate: p.productionRate,
        averageRecordBytes: this.averageRecordBytes,
        oldestUnwrittenAgeMs: p.oldestUnwrittenAgeMs,
        writingStalled,
      });
      const stalledSeconds = writingStalled ? stalledTimeToBreachSeconds(policy, p.oldestUnwrittenAgeMs) : null;
      this.retentionEtas.push({ topic: p.topic, partition: p.partition, eta, stalledSeconds });
    }
  }

  /**
   * A breach within retentionWarningSeconds is reported while the lag grows in a sustained way
   * (spikes and steady lags raise no warning unless records are already being lost), or at once,
   * whatever the lag class, when writing has stalled and time retention will delete the oldest
   * unwritten record within the window (certain unless writing resumes, so no trend is awaited);
   * again whenever the time left halves, when deletion begins, and once more when the risk is gone.
   */
  private assessRetention(lag: LagAssessment | null, events: ControllerEvent[]): void {
    if (lag === null) return;
    const warningSeconds = this.config.retentionWarningSeconds;
    const atRisk = this.retentionEtas.filter(
      (e) =>
        e.eta.kind === 'breach' &&
        (e.eta.seconds === 0 ||
          (e.stalledSeconds !== null && e.stalledSeconds <= warningSeconds) ||
          (e.eta.seconds <= warningSeconds && isSustainedGrowth(lag, e.topic, e.partition))),
    );
    const first = earliestBreach(atRisk);
    // Reported when the risk appears, again each time the time left halves (down to a minute),
    // and once when records are being deleted.
    const reported = this.reportedEtaSeconds;
    if (
      first !== null &&
      first.eta.kind === 'breach' &&
      (reported === null ||
        (reported >= 60 && first.eta.seconds <= reported / 2) ||
        (reported > 0 && first.eta.seconds === 0))
    ) {
      this.reportedEtaSeconds = first.eta.seconds;
      events.push({
        kind: 'retention-risk',
        topic: first.topic,
        partition: first.partition,
        etaSeconds: first.eta.seconds,
        limitedBy: first.eta.limitedBy,
        writingStalled: first.stalledSeconds !== null,
      });
    } else if (first === null && this.reportedEtaSeconds !== null) {
      this.reportedEtaSeconds = null;
      events.push({ kind: 'retention-risk-cleared' });
    }
  }
}

function isSustainedGrowth(lag: LagAssessment, topic: string, partition: number): boolean {
  const p = lag.partitions.find((x) => x.topic === topic && x.partition === partition);
  return p !== undefined && (p.lagClass === 'linear' || p.lagClass === 'exponential');
}
