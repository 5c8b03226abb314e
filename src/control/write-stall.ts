/**
 * Has writing stalled on a partition? Judged from consecutive lag samples of the age of its
 * oldest unwritten record (LagSample `oldestUnwrittenAgeMs`).
 *
 * While writing keeps up, the oldest unwritten record is replaced as batches are written and its
 * age stays roughly constant (or falls while a backlog drains). When nothing is written, the same
 * record stays the oldest and its age grows one second per second. So an interval whose age
 * growth is at least `stalledGrowthRatio` × the elapsed time is a stalled interval, and
 * `stalledIntervals` consecutive ones make the partition stalled: a single slow write that spans
 * one sample interval does not. The stall ends at the first interval whose age growth is below
 * `resumedGrowthRatio` × the elapsed time, i.e. when writing has advanced the oldest record by at
 * least half the time that passed; between the two ratios (writing at 10–50 % of the production
 * rate) the state holds, so a partition hovering at one ratio does not flap.
 *
 * Why it matters (retention.ts): for a stalled partition the time-retention breach is
 * retention.ms − age from now — a certainty unless writing resumes, not an extrapolation of a
 * trend. Pure logic on the caller's clock, like the rest of the controller.
 */
export interface WriteStallConfig {
  /** Age growth ÷ elapsed time at or above which an interval counts as stalled. */
  readonly stalledGrowthRatio: number;
  /** Age growth ÷ elapsed time below which writing has resumed. */
  readonly resumedGrowthRatio: number;
  /** Consecutive stalled intervals (between lag samples) before the partition is stalled. */
  readonly stalledIntervals: number;
}

export const defaultWriteStallConfig: WriteStallConfig = {
  stalledGrowthRatio: 0.9,
  resumedGrowthRatio: 0.5,
  stalledIntervals: 2,
};

interface PartitionAgeState {
  at: number;
  ageMs: number;
  consecutiveStalledIntervals: number;
  stalled: boolean;
}

export class WriteStallDetector {
  readonly config: WriteStallConfig;
  private readonly partitions = new Map<string, PartitionAgeState>();

  constructor(config: Partial<WriteStallConfig> = {}) {
    this.config = { ...defaultWriteStallConfig, ...config };
  }

  /**
   * One lag sample of one partition; returns whether writing on it is stalled. `ageMs` null
   * (nothing read and unwritten, or its age unknown) forgets the partition's history: a stall
   * needs an unbroken run of measured ages. Samples not later than the previous one are ignored.
   */
  observe(key: string, at: number, ageMs: number | null): boolean {
    if (ageMs === null) {
      this.partitions.delete(key);
      return false;
    }
    const previous = this.partitions.get(key);
    if (previous === undefined) {
      this.partitions.set(key, { at, ageMs, consecutiveStalledIntervals: 0, stalled: false });
      return false;
    }
    if (at <= previous.at) return previous.stalled;
    const growthRatio = (ageMs - previous.ageMs) / (at - previous.at);
    previous.consecutiveStalledIntervals = growthRatio >= this.config.stalledGrowthRatio ? previous.consecutiveStalledIntervals + 1 : 0;
    if (previous.stalled) previous.stalled = growthRatio >= this.config.resumedGrowthRatio;
    else previous.stalled = previous.consecutiveStalledIntervals >= this.config.stalledIntervals;
    previous.at = at;
    previous.ageMs = ageMs;
    return previous.stalled;
  }

  forget(key: string): void {
    this.partitions.delete(key);
  }
}
