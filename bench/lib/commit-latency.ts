/**
 * Source time → committed, per record: the generator reports each record's source time as it
 * is produced (in partition order = offset order, from a known base offset per partition), and
 * the benchmark polls the group's committed offsets; a record counts as committed at the first
 * poll whose committed offset is past it. sluice commits an offset only after the record's rows
 * are committed in the target, so this is an upper bound of source → row committed (by the
 * commit interval and the poll interval).
 */
import type { WorkloadRecord } from '../../src/loadgen/index.ts';

export interface CommittedSample {
  /** When the poll saw it committed (ms since the epoch). */
  readonly atMs: number;
  readonly latencyMs: number;
}

export class CommitLatency {
  private readonly pending = new Map<string, { base: number; times: number[]; measured: boolean[]; done: number }>();
  readonly samples: CommittedSample[] = [];

  /** `base`: `topic#partition` → offset of the first record that will be observed. */
  constructor(base: ReadonlyMap<string, number> = new Map()) {
    for (const [partition, offset] of base) this.pending.set(partition, { base: offset, times: [], measured: [], done: offset });
  }

  /** Call for each record in generation order; `measured` = include it in the samples. */
  observe(record: WorkloadRecord, measured: boolean): void {
    const key = `${record.topic}#${record.partition}`;
    let partition = this.pending.get(key);
    if (partition === undefined) {
      partition = { base: 0, times: [], measured: [], done: 0 };
      this.pending.set(key, partition);
    }
    partition.times.push(record.timestamp);
    partition.measured.push(measured);
  }

  /** Call with each poll of the committed offsets. */
  committed(offsets: ReadonlyMap<string, number>, atMs: number): void {
    for (const [key, partition] of this.pending) {
      const committed = offsets.get(key);
      if (committed === undefined) continue;
      const upTo = Math.min(committed, partition.base + partition.times.length);
      for (let offset = partition.done; offset < upTo; offset++) {
        const index = offset - partition.base;
        if (index >= 0 && partition.measured[index]) this.samples.push({ atMs, latencyMs: atMs - (partition.times[index] ?? atMs) });
      }
      partition.done = Math.max(partition.done, upTo);
    }
  }

  /**
   * Forgets records generated but never produced (a production stopped by its abort signal has
   * generated one record past the last it sent): `ends` are the partitions' log-end offsets.
   */
  limitTo(ends: ReadonlyMap<string, number>): void {
    for (const [key, partition] of this.pending) {
      const end = ends.get(key);
      if (end !== undefined && partition.base + partition.times.length > end) {
        partition.times.length = Math.max(0, end - partition.base);
        partition.measured.length = partition.times.length;
      }
    }
  }

  /** Records observed and not yet committed. */
  outstanding(): number {
    let count = 0;
    for (const partition of this.pending.values()) count += partition.base + partition.times.length - partition.done;
    return count;
  }
}
