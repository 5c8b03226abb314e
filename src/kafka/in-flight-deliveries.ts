import { partitionKey } from './partition-set.ts';
import type { TopicPartition } from './types.ts';

/**
 * The onBatch calls currently running, per partition, so that a revocation can wait for the
 * deliveries of exactly the partitions it gives up (and not for those of partitions it keeps).
 */
export class InFlightDeliveries {
  private readonly running = new Map<string, Set<Promise<unknown>>>();

  /** Runs `delivery` and keeps it visible to waitFor() until it settles. */
  async track<T>(partition: TopicPartition, delivery: () => Promise<T>): Promise<T> {
    const key = partitionKey(partition);
    const promise = delivery();
    const set = this.running.get(key) ?? new Set<Promise<unknown>>();
    set.add(promise);
    this.running.set(key, set);
    try {
      return await promise;
    } finally {
      set.delete(promise);
      if (set.size === 0) this.running.delete(key);
    }
  }

  /** Resolves once every delivery of these partitions that is running now has settled. */
  async waitFor(partitions: readonly TopicPartition[]): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const partition of partitions) {
      for (const promise of this.running.get(partitionKey(partition)) ?? []) pending.push(promise);
    }
    await Promise.allSettled(pending);
  }

  /** Resolves once every delivery running now has settled. */
  async waitForAll(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const set of this.running.values()) pending.push(...set);
    await Promise.allSettled(pending);
  }
}
