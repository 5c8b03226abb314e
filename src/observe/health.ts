/**
 * Readiness that tells the truth. A consumer can be "healthy" while it makes no progress at
 * all (the stalled-but-green consumer users complain about in other sinks); /readyz fails when:
 *   - no partition is assigned yet (or any more),
 *   - records are waiting to be written but nothing was committed for SLUICE_READY_STALL_MS,
 *   - every write has failed for SLUICE_READY_SINK_FAILURE_MS.
 * /healthz only says the process answers; restarts are for a process that does not.
 */
import type { Controller } from '../control/controller.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { ReadinessReport, StatusSource } from './http-server.ts';
import type { SluiceMetrics } from './metrics.ts';

export class HealthMonitor implements StatusSource {
  private timer: NodeJS.Timeout | null = null;
  private waitingSince: number | null = null;
  private readonly sections = new Map<string, () => unknown>();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly controller: Controller,
    private readonly metrics: SluiceMetrics,
    private readonly limits: { readonly stallMs: number; readonly sinkFailureMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.refreshGauges(), 1_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** An extra part of the status document (recent dead letters, the scale hint), under `name`. */
  addStatusSection(name: string, read: () => unknown): void {
    this.sections.set(name, read);
  }

  readiness(): ReadinessReport {
    const now = this.now();
    const reasons: string[] = [];
    const progress = this.pipeline.progress();
    if (this.pipeline.assignment().length === 0) reasons.push('no partitions assigned');
    const waiting = this.pipeline.unwrittenRecords() > 0;
    if (!waiting) this.waitingSince = null;
    else this.waitingSince ??= now;
    if (waiting) {
      const lastProgress = Math.max(progress.lastCommitAt ?? 0, this.waitingSince ?? now);
      if (now - lastProgress >= this.limits.stallMs) {
        reasons.push(`stalled: ${this.pipeline.unwrittenRecords()} records waiting and nothing committed for ${Math.round((now - lastProgress) / 1000)} s`);
      }
    }
    if (progress.writeFailingSince !== null && now - progress.writeFailingSince >= this.limits.sinkFailureMs) {
      reasons.push(`sink failing: every write has failed for ${Math.round((now - progress.writeFailingSince) / 1000)} s`);
    }
    return { ready: reasons.length === 0, reasons };
  }

  status(): unknown {
    const snapshot = this.controller.snapshot();
    return {
      readiness: this.readiness(),
      assignment: this.pipeline.assignment(),
      pausedPartitions: this.pipeline.pausedPartitions(),
      unwrittenRecords: this.pipeline.unwrittenRecords(),
      progress: this.pipeline.progress(),
      controller: snapshot,
      ...Object.fromEntries([...this.sections].map(([name, read]) => [name, read()])),
    };
  }

  private refreshGauges(): void {
    const snapshot = this.controller.snapshot();
    this.metrics.batchSizeTarget.set(snapshot.batchSize);
    this.metrics.concurrency.set(snapshot.concurrency);
    this.metrics.inflightBytes.set(snapshot.inflight.usedBytes);
    this.metrics.pausedPartitions.set(this.pipeline.pausedPartitions().length);
    const stages = snapshot.stages;
    if (stages !== null) {
      for (const stage of stages.stages) {
        this.metrics.stageBusyRatio.set({ stage: stage.name }, stage.busyRatio);
        this.metrics.stageBackpressuredRatio.set({ stage: stage.name }, stage.backpressuredRatio);
        this.metrics.bottleneck.set({ stage: stage.name }, stage.name === snapshot.bottleneck ? 1 : 0);
      }
    }
  }
}
