import type { TopicPartition } from './types.ts';

/** The key used for a partition wherever one is needed as a string: `${topic}:${partition}`. */
export function partitionKey(partition: TopicPartition): string {
  return `${partition.topic}:${partition.partition}`;
}

/** A set of topic-partitions with value semantics (two equal partitions are one member). */
export class PartitionSet {
  private readonly members = new Map<string, TopicPartition>();

  constructor(partitions: Iterable<TopicPartition> = []) {
    for (const partition of partitions) this.add(partition);
  }

  static fromTopicMap(assignment: Readonly<Record<string, readonly number[]>>): PartitionSet {
    const set = new PartitionSet();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) set.add({ topic, partition });
    }
    return set;
  }

  get size(): number {
    return this.members.size;
  }

  has(partition: TopicPartition): boolean {
    return this.members.has(partitionKey(partition));
  }

  add(partition: TopicPartition): void {
    this.members.set(partitionKey(partition), { topic: partition.topic, partition: partition.partition });
  }

  delete(partition: TopicPartition): void {
    this.members.delete(partitionKey(partition));
  }

  clear(): void {
    this.members.clear();
  }

  /** Members sorted by topic, then partition, so callbacks and logs are deterministic. */
  list(): TopicPartition[] {
    return [...this.members.values()].sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
  }

  /** Partitions grouped by topic, the shape both client libraries take for pause/resume. */
  byTopic(): { topic: string; partitions: number[] }[] {
    return groupByTopic(this.list());
  }
}

export function groupByTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = topics.get(topic) ?? [];
    list.push(partition);
    topics.set(topic, list);
  }
  return [...topics].map(([topic, list]) => ({ topic, partitions: list }));
}
