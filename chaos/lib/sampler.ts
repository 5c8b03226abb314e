/**
 * Samples a running sluice child every `intervalMs` while a fault is applied: paused partitions,
 * in-flight bytes against the limit, resident memory, readiness, and whether the process is
 * still the same one. The fault reads the maxima and the readiness it saw.
 */
import type { SluiceChild } from './sluice-child.ts';

export interface Samples {
  readonly count: number;
  readonly maxPausedPartitions: number;
  readonly maxInflightBytes: number;
  readonly inflightLimitBytes: number;
  readonly maxRssBytes: number;
  readonly unreadySeen: boolean;
  readonly readyReasons: readonly string[];
  readonly exited: boolean;
  readonly batchSizes: readonly number[];
  readonly concurrencies: readonly number[];
}

export class ChildSampler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private count = 0;
  private maxPausedPartitions = 0;
  private maxInflightBytes = 0;
  private inflightLimitBytes = 0;
  private maxRssBytes = 0;
  private unreadySeen = false;
  private readonly readyReasons = new Set<string>();
  private readonly batchSizes = new Set<number>();
  private readonly concurrencies = new Set<number>();

  constructor(
    private readonly child: SluiceChild,
    private readonly intervalMs = 500,
  ) {}

  start(): this {
    this.timer = setInterval(() => {
      if (this.running === null) this.running = this.sample().finally(() => (this.running = null));
    }, this.intervalMs);
    return this;
  }

  async stop(): Promise<Samples> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.running;
    await this.sample();
    return this.snapshot();
  }

  snapshot(): Samples {
    return {
      count: this.count,
      maxPausedPartitions: this.maxPausedPartitions,
      maxInflightBytes: this.maxInflightBytes,
      inflightLimitBytes: this.inflightLimitBytes,
      maxRssBytes: this.maxRssBytes,
      unreadySeen: this.unreadySeen,
      readyReasons: [...this.readyReasons],
      exited: !this.child.alive,
      batchSizes: [...this.batchSizes],
      concurrencies: [...this.concurrencies],
    };
  }

  private async sample(): Promise<void> {
    this.count++;
    const [metrics, ready, memory] = await Promise.all([this.child.metrics(), this.child.readiness(), this.child.memory()]);
    if (metrics !== null) {
      const value = (name: string): number => metrics.find((sample) => sample.name === name)?.value ?? 0;
      this.maxPausedPartitions = Math.max(this.maxPausedPartitions, value('sluice_paused_partitions'));
      this.maxInflightBytes = Math.max(this.maxInflightBytes, value('sluice_inflight_bytes'));
      this.inflightLimitBytes = value('sluice_inflight_limit_bytes');
      this.batchSizes.add(value('sluice_batch_size_rows'));
      this.concurrencies.add(value('sluice_write_concurrency'));
    }
    if (ready !== null && !ready.ready) {
      this.unreadySeen = true;
      for (const reason of ready.reasons) this.readyReasons.add(reason.replace(/\d+/g, 'N'));
    }
    if (memory !== null) this.maxRssBytes = Math.max(this.maxRssBytes, memory.rss);
  }
}
