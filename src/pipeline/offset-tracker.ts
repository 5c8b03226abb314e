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
  /** Budget bytes this record holds: its raw bytes, plus its decoded change's once charged. */
  bytes: number;
  holds: number;
  settled: boolean;
}

/**
 * The ledger's map key for an offset: a number where it is exact (every real topic: offsets
 * below 2^53), the bigint itself beyond. Hashing a small number is much cheaper than hashing a
 * bigint, and this runs several times per record; a bigint key never equals a number key, so
 * the two ranges cannot collide.
 */
type OffsetKey = number | bigint;
const LARGEST_EXACT_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

function offsetKey(offset: bigint): OffsetKey {
  return offset <= LARGEST_EXACT_OFFSET ? Number(offset) : offset;
}

class PartitionLedger {
  private readonly queue: Entry[] = [];
  private head = 0;
  private readonly byOffset = new Map<OffsetKey, Entry>();
  /** Next offset to commit (last settled prefix + 1), or null before anything settled. */
  commitPoint: bigint | null = null;
  lastCommitted: bigint | null = null;

  /** Starts tracking a record with one hold (the routing hold). */
  track(record: KafkaRecord, bytes: number): void {
    const entry: Entry = { record, bytes, holds: 1, settled: false };
    this.queue.push(entry);
    this.byOffset.set(offsetKey(record.offset), entry);
  }

  retain(offset: bigint): void {
    const entry = this.byOffset.get(offsetKey(offset));
    if (entry !== undefined && !entry.settled) entry.holds++;
  }

  /** Adds bytes to an unsettled record's share; returns what was added (0 if not held). */
  charge(offset: bigint, bytes: number): number {
    const entry = this.byOffset.get(offsetKey(offset));
    if (entry === undefined || entry.settled) return 0;
    entry.bytes += bytes;
    return bytes;
  }

  /** Drops one hold; at zero the record is settled. Returns bytes released from the prefix. */
  release(offset: bigint): number {
    const entry = this.byOffset.get(offsetKey(offset));
    if (entry === undefined || entry.settled) return 0;
    entry.holds--;
    if (entry.holds > 0) return 0;
    entry.settled = true;
    let released = 0;
    let lastSettled: Entry | null = null;
    while (this.head < this.queue.length) {
      const first = this.queue[this.head]!;
      if (!first.settled) break;
      released += first.bytes;
      this.byOffset.delete(offsetKey(first.record.offset));
      lastSettled = first;
      this.head++;
    }
    if (lastSettled !== null) this.commitPoint = lastSettled.record.offset + 1n;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return released;
  }

  record(offset: bigint): KafkaRecord | undefined {
    return this.byOffset.get(offsetKey(offset))?.record;
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
  private lastFound: { readonly topic: string; readonly partition: number; readonly ledger: PartitionLedger } | null = null;

  private ledger(topic: string, partition: number): PartitionLedger {
    let ledger = this.find(topic, partition);
    if (ledger === undefined) {
      ledger = new PartitionLedger();
      this.ledgers.set(partitionId(topic, partition), ledger);
    }
    return ledger;
  }

  /**
   * The ledger of a partition. Consecutive calls are mostly for the same partition (a fetched
   * batch is routed record by record), so the last one found is checked first: it saves
   * building the `topic:partition` key several times per record.
   */
  private find(topic: string, partition: number): PartitionLedger | undefined {
    const last = this.lastFound;
    if (last !== null && last.partition === partition && last.topic === topic) return last.ledger;
    const ledger = this.ledgers.get(partitionId(topic, partition));
    if (ledger !== undefined) this.lastFound = { topic, partition, ledger };
    return ledger;
  }

  track(record: KafkaRecord, bytes: number): void {
    this.ledger(record.topic, record.partition).track(record, bytes);
  }

  retain(topic: string, partition: number, offset: bigint): void {
    this.find(topic, partition)?.retain(offset);
  }

  /**
   * Adds bytes to what an unsettled record holds (its decoded rows, learnt after tracking), so
   * that release() and forget() give them back with the record. Returns the bytes added: 0 when
   * the record is not tracked or already settled, and then nothing must be admitted for it.
   */
  charge(topic: string, partition: number, offset: bigint, bytes: number): number {
    return this.find(topic, partition)?.charge(offset, bytes) ?? 0;
  }

  /** Drops one hold on a record; returns the bytes whose accounting may be released now. */
  release(topic: string, partition: number, offset: bigint): number {
    return this.find(topic, partition)?.release(offset) ?? 0;
  }

  rawRecord(topic: string, partition: number, offset: bigint): KafkaRecord | undefined {
    return this.find(topic, partition)?.record(offset);
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
    if (this.lastFound?.ledger === ledger) this.lastFound = null;
    return ledger?.heldBytes() ?? 0;
  }

  partitions(): TopicPartition[] {
    return [...this.ledgers.keys()].map((id) => {
      const separator = id.lastIndexOf(':');
      return { topic: id.slice(0, separator), partition: Number(id.slice(separator + 1)) };
    });
  }
}
