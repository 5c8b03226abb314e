/**
 * Detects records that disappeared between two fetches of a partition: each batch must start at
 * the offset after the last record seen. A batch that starts later means the offsets in between
 * were never delivered — typically retention deleted them while sluice lagged (the consumer's
 * position fell below the log start, the client reset it, and the records are gone).
 *
 * Contract: the first batch after a partition is assigned sets the expectation (the committed
 * offset is not known here); `forget` on revocation. Known false alarms: topics whose offsets
 * have legitimate holes — compacted topics (cleanup.policy=compact) and topics written by
 * transactional producers (each commit marker takes an offset) — report those holes too.
 */
import type { TopicPartition } from '../kafka/types.ts';
import { partitionId } from './offset-tracker.ts';

export interface LostRange {
  /** First offset not delivered. */
  readonly from: bigint;
  /** Last offset not delivered (inclusive). */
  readonly to: bigint;
  readonly count: bigint;
}

export class OffsetContinuity {
  private readonly next = new Map<string, bigint>();

  /** Records a delivered batch [first, last]; returns the range skipped before it, if any. */
  observe(partition: TopicPartition, first: bigint, last: bigint): LostRange | null {
    const id = partitionId(partition.topic, partition.partition);
    const expected = this.next.get(id);
    const following = last + 1n;
    if (expected === undefined || following > expected) this.next.set(id, following);
    if (expected === undefined || first <= expected) return null;
    return { from: expected, to: first - 1n, count: first - expected };
  }

  forget(partition: TopicPartition): void {
    this.next.delete(partitionId(partition.topic, partition.partition));
  }
}
