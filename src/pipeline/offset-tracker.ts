/**
 * Decides which offsets may be committed. Per partition it keeps the records handed to the
 * pipeline in arrival (= offset) order. A record is held by reference count: one hold while it
 * is being routed, one for every pending change that carries it (an update that moved a key
 * yields two changes). It is settled when the last hold is released, i.e. when every change
 * it contributed to is durably written or dead-lettered, or it needed no write (tombstone). The commit point is the first offset
 * after the longest settled prefix: later batches may finish first, but an offset is never
 * committed while anything before it is still unwritten. The raw record is kept until settled
 * so that a change rejected later can still be dead-lettered with its original bytes.
 */
import type { KafkaRecord, TopicPartition } from '../kafka/types.ts';

interface Entry {
  readonly record: KafkaRecord;
  readonly bytes: number;
  holds: number;
  settled: boolean;
}

class PartitionLedger {
  private readonly queue: Entry[] = [];
  private head = 0;
  private readonly byOffset = new Map<bigint, Entry>();
  /** Next offset to commit (last settled prefix + 1), or null before anything settled. */
  commitPoint: bigint | null = null;
  lastCommitted: bigint | null = null;

  /** Starts tracking a record with one hold (the routing hold). */
  track(record: KafkaRecord, bytes: number): void {
    const entry: Entry = { record, bytes, holds: 1, settled: false };
    this.queue.push(entry);
    this.byOffset.set(record.offset, entry);
  }

  retain(offset: bigint): void {
    const entry = this.byOffset.get(offset);
    if (entry !== undefined && !entry.settled) entry.holds++;
  }

  /** Drops one hold; at zero the record is settled. Returns bytes released from the prefix. */
  release(offset: bigint): number {
    const entry = this.byOffset.get(offset);
    if (entry === undefined || entry.settled) return 0;
    entry.holds--;
    if (entry.holds > 0) return 0;
    entry.settled = true;
    let released = 0;
    while (this.head < this.queue.length) {
      const first = this.queue[this.head]!;
      if (!first.settled) break;
      released += first.bytes;
      this.byOffset.delete(first.record.offset);
      this.commitPoint = first.record.offset + 1n;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return released;
  }

  record(offset: bigint): KafkaRecord | undefined {
    return this.byOffset.get(offset)?.record;
  }

  get unsettledCount(): number {
    return this.queue.length - this.head;
  }

  /** Oldest unsettled record's broker timestamp, for the "age of the oldest unwritten event". */
  oldestUnsettledTimestamp(): number | null {
    for (let index = this.head; index < this.queue.length; index++) {
      const entry = this.queue[index]!;
      if (!entry.settled) return entry.record.timestamp;
    }
    return null;
  }

  /** Bytes still held by this partition (settled-but-not-prefix entries included). */
  heldBytes(): number {
    let total = 0;
    for (let index = this.head; index < this.queue.length; index++) total += this.queue[index]!.bytes;
    return total;
  }
}

export function partitionId(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export class OffsetTracker {
  private readonly ledgers = new Map<string, PartitionLedger>();

  private ledger(topic: string, partition: number): PartitionLedger {
    const id = partitionId(topic, partition);
    let ledger = this.ledgers.get(id);
    if (ledger === undefined) {
      ledger = new PartitionLedger();
      this.ledgers.set(id, ledger);
    }
    return ledger;
  }

  track(record: KafkaRecord, bytes: number): void {
    this.ledger(record.topic, record.partition).track(record, bytes);
  }

  retain(topic: string, partition: number, offset: bigint): void {
    this.ledgers.get(partitionId(topic, partition))?.retain(offset);
  }

  /** Drops one hold on a record; returns the bytes whose accounting may be released now. */
  release(topic: string, partition: number, offset: bigint): number {
    return this.ledgers.get(partitionId(topic, partition))?.release(offset) ?? 0;
  }

  rawRecord(topic: string, partition: number, offset: bigint): KafkaRecord | undefined {
    return this.ledgers.get(partitionId(topic, partition))?.record(offset);
  }

  /** Offsets to commit now: partitions whose commit point moved since the last commit. */
  pendingCommits(): { topic: string; partition: number; offset: bigint }[] {
    const commits: { topic: string; partition: number; offset: bigint }[] = [];
    for (const [id, ledger] of this.ledgers) {
      if (ledger.commitPoint === null || ledger.commitPoint === ledger.lastCommitted) continue;
      const separator = id.lastIndexOf(':');
      commits.push({ topic: id.slice(0, separator), partition: Number(id.slice(separator + 1)), offset: ledger.commitPoint });
    }
    return commits;
  }

  markCommitted(commits: readonly { topic: string; partition: number; offset: bigint }[]): void {
    for (const commit of commits) {
      const ledger = this.ledgers.get(partitionId(commit.topic, commit.partition));
      if (ledger !== undefined && (ledger.lastCommitted === null || commit.offset > ledger.lastCommitted)) ledger.lastCommitted = commit.offset;
    }
  }

  unsettled(partition: TopicPartition): number {
    return this.ledgers.get(partitionId(partition.topic, partition.partition))?.unsettledCount ?? 0;
  }

  totalUnsettled(): number {
    let total = 0;
    for (const ledger of this.ledgers.values()) total += ledger.unsettledCount;
    return total;
  }

  oldestUnsettledTimestamp(partition: TopicPartition): number | null {
    return this.ledgers.get(partitionId(partition.topic, partition.partition))?.oldestUnsettledTimestamp() ?? null;
  }

  /** Forget a revoked partition; returns the bytes it still held so the budget can release them. */
  forget(partition: TopicPartition): number {
    const id = partitionId(partition.topic, partition.partition);
    const ledger = this.ledgers.get(id);
    this.ledgers.delete(id);
    return ledger?.heldBytes() ?? 0;
  }

  partitions(): TopicPartition[] {
    return [...this.ledgers.keys()].map((id) => {
      const separator = id.lastIndexOf(':');
      return { topic: id.slice(0, separator), partition: Number(id.slice(separator + 1)) };
    });
  }
}
