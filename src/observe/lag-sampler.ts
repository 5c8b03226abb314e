/**
 * Reads lag from the broker on an interval (the numbers `kafka-consumer-groups --describe`
 * shows): log-end offset and the group's committed offset per assigned partition, plus the age
 * of the oldest record read but not yet written. Feeds the controller's lag trend and retention
 * ETA, and the lag gauges. Topic retention is read once per topic.
 */
import type { Controller } from '../control/controller.ts';
import type { PartitionLagObservation } from '../control/lag.ts';
import type { KafkaAdmin } from '../kafka/types.ts';
import type { Logger } from './logger.ts';
import type { SluiceMetrics } from './metrics.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';

const lagClasses = ['steady', 'spike', 'linear', 'exponential'] as const;

export class LagSampler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly retentionKnown = new Set<string>();

  constructor(
    private readonly deps: {
      readonly admin: KafkaAdmin;
      readonly controller: Controller;
      readonly pipeline: Pipeline;
      readonly metrics: SluiceMetrics;
      readonly groupId: string;
      readonly logger: Logger;
    },
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.sampleOnce(), intervalMs);
    this.timer.unref();
    void this.sampleOnce();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  async sampleOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const assigned = this.deps.pipeline.assignment();
      if (assigned.length === 0) return;
      const topics = [...new Set(assigned.map((tp) => tp.topic))];
      await this.learnRetention(topics);
      const [ends, committed] = await Promise.all([this.deps.admin.endOffsets(topics), this.deps.admin.committedOffsets(this.deps.groupId, topics)]);
      const wallNow = Date.now();
      const partitions: PartitionLagObservation[] = [];
      for (const tp of assigned) {
        const id = `${tp.topic}:${tp.partition}`;
        const end = ends.get(id);
        if (end === undefined) continue;
        const oldest = this.deps.pipeline.oldestUnwrittenTimestamp(tp);
        partitions.push({ topic: tp.topic, partition: tp.partition, logEndOffset: end, committedOffset: committed.get(id) ?? null, oldestUnwrittenAgeMs: oldest === null ? null : Math.max(0, wallNow - oldest) });
      }
      const assessment = this.deps.controller.recordLag({ at: performance.now(), partitions });
      const metrics = this.deps.metrics;
      const etas = new Map(this.deps.controller.snapshot().retention.partitions.map((entry) => [`${entry.topic}:${entry.partition}`, entry.eta]));
      for (const partition of assessment.partitions) {
        const labels = { topic: partition.topic, partition: String(partition.partition) };
        metrics.lag.set(labels, partition.lag);
        metrics.lagSlope.set(labels, partition.shortSlope);
        for (const lagClass of lagClasses) metrics.lagClass.set({ ...labels, class: lagClass }, partition.lagClass === lagClass ? 1 : 0);
        const eta = etas.get(`${partition.topic}:${partition.partition}`);
        metrics.retentionEta.set(labels, eta?.kind === 'breach' ? eta.seconds : -1);
      }
    } catch (error) {
      this.deps.logger.warn({ event: 'lag-sample-failed', error: (error as Error).message }, 'could not read lag from the broker; will retry');
    } finally {
      this.running = false;
    }
  }

  private async learnRetention(topics: readonly string[]): Promise<void> {
    const unknown = topics.filter((topic) => !this.retentionKnown.has(topic));
    if (unknown.length === 0) return;
    const policies = await this.deps.admin.retention(unknown);
    for (const [topic, policy] of policies) {
      this.deps.controller.setRetention(topic, { ms: policy.ms, bytes: policy.bytes });
      this.retentionKnown.add(topic);
    }
  }
}
