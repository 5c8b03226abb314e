import { partitionKey } from '../../../src/kafka/partition-set.ts';
import type { KafkaRecord, RecordBatch, SourceHandlers, TopicPartition } from '../../../src/kafka/types.ts';

/**
 * SourceHandlers that remember what the source did: every record delivered, every assignment and
 * revocation, and any contract violation seen while it happened (a batch delivered for a
 * partition not owned or paused, a revocation while a batch of that partition was still in
 * onBatch).
 */
export class RecordingHandlers implements SourceHandlers {
  readonly records: KafkaRecord[] = [];
  readonly assignedEvents: TopicPartition[][] = [];
  readonly revokedEvents: TopicPartition[][] = [];
  readonly violations: string[] = [];
  readonly fatalErrors: Error[] = [];
  /** Partitions the source told us we own (assigned minus revoked). */
  readonly owned = new Set<string>();
  /** Partitions whose batches must not arrive (the test paused them). */
  readonly mustNotDeliver = new Set<string>();
  private readonly inOnBatch = new Map<string, number>();

  constructor(private readonly slowBatch: (batch: RecordBatch) => Promise<void> = async () => {}) {}

  async onBatch(batch: RecordBatch): Promise<void> {
    const key = partitionKey(batch);
    if (!this.owned.has(key)) this.violations.push(`batch of ${key} delivered while not assigned`);
    if (this.mustNotDeliver.has(key)) this.violations.push(`batch of ${key} delivered while paused`);
    this.inOnBatch.set(key, (this.inOnBatch.get(key) ?? 0) + 1);
    try {
      this.records.push(...batch.records);
      await this.slowBatch(batch);
    } finally {
      this.inOnBatch.set(key, (this.inOnBatch.get(key) ?? 1) - 1);
    }
  }

  async onAssigned(partitions: readonly TopicPartition[]): Promise<void> {
    this.assignedEvents.push([...partitions]);
    for (const partition of partitions) this.owned.add(partitionKey(partition));
  }

  async onRevoked(partitions: readonly TopicPartition[]): Promise<void> {
    this.revokedEvents.push([...partitions]);
    for (const partition of partitions) {
      const key = partitionKey(partition);
      if (!this.owned.has(key)) this.violations.push(`revoked ${key}, which was not assigned`);
      if ((this.inOnBatch.get(key) ?? 0) > 0) this.violations.push(`revoked ${key} while its batch was in onBatch`);
      this.owned.delete(key);
    }
  }

  onFatal(error: Error): void {
    this.fatalErrors.push(error);
  }

  recordsOf(partition: number): KafkaRecord[] {
    return this.records.filter((record) => record.partition === partition);
  }

  ownedPartitions(): number[] {
    return [...this.owned].map((key) => Number(key.slice(key.lastIndexOf(':') + 1))).sort((a, b) => a - b);
  }
}

/** Polls `condition` every 25 ms until it holds; fails with `description` after `timeoutMs`. */
export async function waitUntil(description: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
