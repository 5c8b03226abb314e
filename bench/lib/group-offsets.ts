/**
 * Committed offsets of a consumer group, partition by partition, through one admin connection
 * kept open (benchmarks poll it every 100–200 ms; a connection per poll would cost more than the poll).
 */
import type { Admin } from 'kafkajs';
import { testKafka } from '../../test/support/services.ts';

export class GroupOffsets {
  private readonly admin: Admin = testKafka('sluice-bench-group-offsets').admin();

  constructor(
    private readonly group: string,
    private readonly topics: readonly string[],
  ) {}

  async connect(): Promise<void> {
    await this.admin.connect();
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }

  /** `topic#partition` → committed offset (the next record to read); absent = nothing committed. */
  async committed(): Promise<Map<string, number>> {
    const offsets = new Map<string, number>();
    for (const topic of await this.admin.fetchOffsets({ groupId: this.group, topics: [...this.topics] })) {
      for (const partition of topic.partitions) if (Number(partition.offset) >= 0) offsets.set(`${topic.topic}#${partition.partition}`, Number(partition.offset));
    }
    return offsets;
  }

  async ends(): Promise<Map<string, number>> {
    const ends = new Map<string, number>();
    for (const topic of this.topics) for (const partition of await this.admin.fetchTopicOffsets(topic)) ends.set(`${topic}#${partition.partition}`, Number(partition.high));
    return ends;
  }

  async totals(): Promise<{ committed: number; end: number }> {
    const [committed, ends] = [await this.committed(), await this.ends()];
    let committedSum = 0;
    let endSum = 0;
    for (const value of committed.values()) committedSum += value;
    for (const value of ends.values()) endSum += value;
    return { committed: committedSum, end: endSum };
  }
}
