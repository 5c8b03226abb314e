/**
 * A modelled Kafka topic: partitions as offset ranges, a production-rate schedule, and
 * retention that deletes the oldest records by age (retention.ms) or size (retention.bytes per
 * partition). Records are not materialised; production is remembered in chunks so the
 * timestamp of any retained offset can be looked up.
 */
import type { ScenarioParams } from './scenario.ts';

interface Chunk {
  readonly offset: number;
  readonly count: number;
  readonly at: number;
}

export interface PartitionLog {
  readonly partition: number;
  logStart: number;
  logEnd: number;
  readonly chunks: Chunk[];
  carry: number;
}

export class TopicModel {
  readonly name = 'sim.orders';
  readonly partitions: PartitionLog[];
  private readonly weights: number[];

  constructor(private readonly params: ScenarioParams) {
    const count = params.topic.partitions;
    const weights = params.topic.weights ?? Array.from({ length: count }, () => 1);
    if (weights.length !== count) throw new Error(`topic.weights needs ${count} entries`);
    const sum = weights.reduce((a, b) => a + b, 0);
    this.weights = weights.map((w) => w / sum);
    this.partitions = Array.from({ length: count }, (_, partition) => ({
      partition,
      logStart: 0,
      logEnd: 0,
      chunks: [],
      carry: 0,
    }));
  }

  /** Total production rate (records/s) at virtual time `at` ms. */
  rateAt(at: number): number {
    const s = at / 1000;
    return this.params.production.reduce((sum, p) => (s >= p.from_s && s < p.to_s ? sum + p.rate : sum), 0);
  }

  /** Appends what was produced during the `stepMs` ending at `now`. */
  produce(now: number, stepMs: number): void {
    const total = this.rateAt(now - stepMs) * (stepMs / 1000);
    for (const log of this.partitions) {
      const exact = total * this.weights[log.partition]! + log.carry;
      const count = Math.floor(exact);
      log.carry = exact - count;
      if (count === 0) continue;
      log.chunks.push({ offset: log.logEnd, count, at: now });
      log.logEnd += count;
    }
  }

  /** Deletes what retention no longer keeps. */
  applyRetention(now: number): void {
    const { retention_ms: retentionMs, retention_bytes: retentionBytes, record_bytes: recordBytes } = this.params.topic;
    for (const log of this.partitions) {
      let start = log.logStart;
      if (retentionMs >= 0) {
        const cutoff = now - retentionMs;
        for (const chunk of log.chunks) {
          if (chunk.at >= cutoff) break;
          start = Math.max(start, chunk.offset + chunk.count);
        }
      }
      if (retentionBytes >= 0) start = Math.max(start, log.logEnd - Math.floor(retentionBytes / recordBytes));
      log.logStart = Math.min(start, log.logEnd);
      while (log.chunks.length > 0 && log.chunks[0]!.offset + log.chunks[0]!.count <= log.logStart) log.chunks.shift();
    }
  }

  /** Production time of `offset` (must be retained and produced). */
  timestampOf(partition: number, offset: number): number {
    const chunks = this.partitions[partition]!.chunks;
    let low = 0;
    let high = chunks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (chunks[mid]!.offset <= offset) low = mid;
      else high = mid - 1;
    }
    return chunks[low]?.at ?? 0;
  }
}
