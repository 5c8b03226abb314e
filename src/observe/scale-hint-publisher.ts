/**
 * Publishes the scale hint (src/control/scale-hint.ts) as `sluice_desired_replicas`, once per lag
 * sampling interval: it counts the records this replica wrote (as a pipeline observer, rated over
 * the last 30 s), reads
 * this replica's lag trend and write-stage utilization from the controller, and the partition
 * count of the consumed topics from the broker (re-read every few minutes: partitions can be
 * added, never removed).
 */
import type { Controller } from '../control/controller.ts';
import { desiredReplicas, type ScaleHint } from '../control/scale-hint.ts';
import type { KafkaAdmin, TopicPartition } from '../kafka/types.ts';
import type { PipelineObserver } from '../pipeline/pipeline.ts';
import type { TableBatch } from '../writer/types.ts';
import type { Logger } from './logger.ts';
import type { SluiceMetrics } from './metrics.ts';

const partitionCountRefreshMs = 5 * 60_000;
/**
 * Throughput is measured over this window, not one sampling interval: a slow sink completes a
 * write every few seconds, and an interval without a completion says nothing about capacity.
 */
const throughputWindowMs = 30_000;
const hintLogIntervalMs = 60_000;

export class ScaleHintPublisher implements PipelineObserver {
  private timer: NodeJS.Timeout | null = null;
  private writtenSinceLast = 0;
  private lastAt: number | null = null;
  /** Records written per completed sampling interval, newest last, within throughputWindowMs. */
  private readonly intervals: { readonly from: number; readonly to: number; readonly records: number }[] = [];
  private last: (ScaleHint & { readonly at: number; readonly partitions: number; readonly writtenPerSecond: number }) | null = null;
  private readonly partitionCounts = new Map<string, { count: number; readAt: number }>();
  private running = false;
  private logged: { readonly replicas: number; readonly at: number } | null = null;

  constructor(
    private readonly deps: {
      readonly admin: KafkaAdmin;
      readonly controller: Controller;
      /** Partitions assigned to this replica now (the pipeline's assignment). */
      readonly assignment: () => readonly TopicPartition[];
      readonly metrics: SluiceMetrics;
      readonly logger: Logger;
      readonly now?: () => number;
    },
  ) {}

  batchWritten(_table: string, batch: TableBatch): void {
    let records = batch.truncateOrigins.length;
    for (const change of batch.changes) records += change.origins.length;
    this.writtenSinceLast += records;
  }

  start(intervalMs: number): void {
    this.lastAt = this.clock();
    this.timer = setInterval(() => void this.update(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  latest(): typeof this.last {
    return this.last;
  }

  async update(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = this.clock();
      if (this.lastAt !== null && now > this.lastAt) this.intervals.push({ from: this.lastAt, to: now, records: this.writtenSinceLast });
      this.writtenSinceLast = 0;
      this.lastAt = now;
      while (this.intervals.length > 1 && this.intervals[0]!.from < now - throughputWindowMs) this.intervals.shift();
      const windowFrom = this.intervals[0]?.from ?? now;
      let written = 0;
      for (const interval of this.intervals) written += interval.records;
      const elapsedSeconds = (now - windowFrom) / 1000;
      const assigned = this.deps.assignment();
      const partitions = await this.partitionCount([...new Set(assigned.map((tp) => tp.topic))], now);
      const snapshot = this.deps.controller.snapshot();
      const writeStage = snapshot.stages?.stages.find((stage) => stage.name === 'write');
      const writtenPerSecond = elapsedSeconds > 0 ? written / elapsedSeconds : 0;
      const hint = desiredReplicas({
        partitions: Math.max(partitions, assigned.length),
        assignedPartitions: assigned.length,
        lagRecords: snapshot.lag?.total.lag ?? 0,
        lagSlope: snapshot.lag?.total.shortSlope ?? 0,
        writtenPerSecond,
        writeUtilization: writeStage?.busyRatio ?? null,
      });
      this.deps.metrics.desiredReplicas.set(hint.replicas);
      // Logged when it differs from the value last logged, at most once a minute: the hint
      // follows every lag sample, an operator needs its drift, not its jitter.
      if (this.logged === null) {
        this.logged = { replicas: hint.replicas, at: now };
      } else if (this.logged.replicas !== hint.replicas && now - this.logged.at >= hintLogIntervalMs) {
        this.deps.logger.info({ event: 'desired-replicas-changed', from: this.logged.replicas, to: hint.replicas, reason: hint.reason }, `desired replicas ${this.logged.replicas} → ${hint.replicas}: ${hint.reason}`);
        this.logged = { replicas: hint.replicas, at: now };
      }
      this.last = { ...hint, at: Date.now(), partitions, writtenPerSecond };
    } catch (error) {
      this.deps.logger.warn({ event: 'scale-hint-failed', error: (error as Error).message }, 'could not compute the scale hint; will retry');
    } finally {
      this.running = false;
    }
  }

  private async partitionCount(topics: readonly string[], now: number): Promise<number> {
    const stale = topics.filter((topic) => {
      const known = this.partitionCounts.get(topic);
      return known === undefined || now - known.readAt >= partitionCountRefreshMs;
    });
    if (stale.length > 0) {
      const ends = await this.deps.admin.endOffsets(stale);
      for (const topic of stale) {
        let count = 0;
        for (const key of ends.keys()) if (key.startsWith(`${topic}:`) && /^\d+$/.test(key.slice(topic.length + 1))) count++;
        this.partitionCounts.set(topic, { count, readAt: now });
      }
    }
    let total = 0;
    for (const topic of topics) total += this.partitionCounts.get(topic)?.count ?? 0;
    return total;
  }

  private clock(): number {
    return this.deps.now?.() ?? performance.now();
  }
}
