/**
 * Batch size by hill climbing on per-row cost.
 *
 * Efficiency of a size = rows per millisecond of write latency, averaged over full batches
 * written at that size (a partial batch, flushed by the linger timer, says nothing about the
 * size). Once per interval:
 *   - backpressure from the sink → shrink (× shrinkFactor);
 *   - latency above target while the lag is flat → shrink: nobody gains from the large batch,
 *     and end-to-end latency suffers (while a backlog grows or drains, throughput comes first);
 *   - batches sparse for `sparseIntervals` intervals (every batch cut by the linger timer well
 *     below the size: no backlog) → shrink back toward the minimum: small batches, low latency, once a backfill has drained;
 *     between sparse and full the size holds, which keeps a steady load from oscillating;
 *   - most batches full and latency within target → grow (× growthFactor) as long as the last
 *     step up bought at least `minGain` more rows/ms than the size before it; when it did not,
 *     go back to the better of the two and hold for `cooldownMs` before probing again.
 */
export interface AdaptiveBatchSizeConfig {
  readonly min: number;
  readonly max: number;
  readonly initial: number;
  /** Write latency (per batch) the controller keeps batches under, ms. */
  readonly latencyTargetMs: number;
  readonly growthFactor: number;
  readonly shrinkFactor: number;
  readonly minGain: number;
  /** Full batches needed at a size before its efficiency is trusted. */
  readonly samplesPerStep: number;
  readonly cooldownMs: number;
  /** A batch with at least this fraction of the batch size counts as full. */
  readonly fullFraction: number;
  /** Batches all below this fraction of the batch size count as sparse. */
  readonly sparseFraction: number;
  /** Consecutive sparse intervals before shrinking for lack of backlog. */
  readonly sparseIntervals: number;
}

export const defaultAdaptiveBatchSizeConfig: AdaptiveBatchSizeConfig = {
  min: 1_000,
  max: 10_000,
  initial: 1_000,
  latencyTargetMs: 2_000,
  growthFactor: 1.5,
  shrinkFactor: 0.75,
  minGain: 0.05,
  samplesPerStep: 2,
  cooldownMs: 30_000,
  fullFraction: 0.9,
  sparseFraction: 0.6,
  sparseIntervals: 3,
};

export interface BatchSizeInterval {
  readonly now: number;
  readonly backpressure: boolean;
  /** EWMA of write latency, ms; null before any write succeeded. */
  readonly latencyMs: number | null;
  /** Lag is growing (spike, linear or exponential while rising). */
  readonly lagGrowing: boolean;
  /** Lag neither growing nor draining (class steady): a backlog being drained is not flat. */
  readonly lagFlat: boolean;
  /** Most batches begun during the interval were full. */
  readonly batchesFilling: boolean;
  /** Batches were begun during the interval and all were sparse. */
  readonly batchesSparse: boolean;
}

export interface BatchSizeStep {
  readonly size: number;
  readonly change: 'grow' | 'shrink' | 'hold';
  readonly reason: string | null;
}

interface Efficiency {
  rowsPerMs: number;
  samples: number;
}

export class AdaptiveBatchSize {
  private sizeValue: number;
  /** Size before the last step up; null when the last change was not a probe. */
  private probedFrom: number | null = null;
  private cooldownUntil = Number.NEGATIVE_INFINITY;
  private sparseStreak = 0;
  private efficiency = new Map<number, Efficiency>();
  readonly config: AdaptiveBatchSizeConfig;

  constructor(config: Partial<AdaptiveBatchSizeConfig> = {}) {
    this.config = { ...defaultAdaptiveBatchSizeConfig, ...config };
    if (this.config.min < 1 || this.config.max < this.config.min) {
      throw new RangeError(`batch size bounds must satisfy 1 ≤ min ≤ max, got ${this.config.min}..${this.config.max}`);
    }
    this.sizeValue = this.clamp(this.config.initial);
  }

  get size(): number {
    return this.sizeValue;
  }

  /** True when `rows` fills a batch of `size` (the size in force when the batch was cut). */
  isFull(rows: number, size: number): boolean {
    return rows >= size * this.config.fullFraction;
  }

  isSparse(rows: number, size: number): boolean {
    return rows < size * this.config.sparseFraction;
  }

  /** One successful write of a full batch cut at `size`. */
  observe(size: number, rows: number, latencyMs: number): void {
    if (!this.isFull(rows, size) || latencyMs <= 0) return;
    const sample = rows / latencyMs;
    const known = this.efficiency.get(size);
    if (known === undefined) {
      this.efficiency.set(size, { rowsPerMs: sample, samples: 1 });
    } else {
      known.samples += 1;
      known.rowsPerMs += (sample - known.rowsPerMs) / Math.min(known.samples, 8);
    }
  }

  /**
   * Forget efficiency measurements (the concurrency changed, so latencies measured before are
   * not comparable with those after) and end any probe in progress.
   */
  invalidate(): void {
    this.efficiency.clear();
    this.probedFrom = null;
  }

  rowsPerMs(size: number): number | null {
    return this.efficiency.get(size)?.rowsPerMs ?? null;
  }

  step(interval: BatchSizeInterval): BatchSizeStep {
    const current = this.sizeValue;
    const { latencyTargetMs } = this.config;
    if (interval.backpressure) {
      return this.shrinkTo(this.clamp(current * this.config.shrinkFactor), 'sink signalled backpressure');
    }
    if (interval.latencyMs !== null && interval.latencyMs > latencyTargetMs && interval.lagFlat) {
      return this.shrinkTo(
        this.clamp(current * this.config.shrinkFactor),
        `write latency ${interval.latencyMs.toFixed(0)} ms above target ${latencyTargetMs} ms while lag is flat`,
      );
    }
    this.sparseStreak = interval.batchesSparse && !interval.lagGrowing ? this.sparseStreak + 1 : 0;
    if (this.sparseStreak >= this.config.sparseIntervals) {
      this.sparseStreak = 0;
      return this.shrinkTo(
        this.clamp(current * this.config.shrinkFactor),
        `batches sparse for ${this.config.sparseIntervals} intervals (no backlog)`,
      );
    }
    if (!interval.batchesFilling) return hold(current);
    const here = this.efficiency.get(current);
    if (here === undefined || here.samples < this.config.samplesPerStep) return hold(current);

    if (this.probedFrom !== null) {
      const before = this.efficiency.get(this.probedFrom);
      if (before !== undefined && here.rowsPerMs < before.rowsPerMs * (1 + this.config.minGain)) {
        const keep = here.rowsPerMs >= before.rowsPerMs ? current : this.probedFrom;
        this.probedFrom = null;
        this.cooldownUntil = interval.now + this.config.cooldownMs;
        const reason =
          `batch ${current} gave ${here.rowsPerMs.toFixed(2)} rows/ms vs ${before.rowsPerMs.toFixed(2)} at ${this.probedFromLabel(before)}` +
          ': larger batches no longer cut per-row cost';
        this.sizeValue = keep;
        return keep === current ? { size: keep, change: 'hold', reason: null } : { size: keep, change: 'shrink', reason };
      }
    }
    if (interval.now < this.cooldownUntil || current >= this.config.max) return hold(current);
    if (interval.latencyMs !== null && interval.latencyMs > latencyTargetMs) return hold(current);
    const next = this.clamp(current * this.config.growthFactor);
    if (next === current) return hold(current);
    if (this.probedFrom === null) {
      // A fresh probe: measurements from long ago no longer describe the sink.
      this.efficiency = new Map([[current, here]]);
    }
    this.probedFrom = current;
    this.sizeValue = next;
    const gain = this.efficiencyGainText(current);
    return { size: next, change: 'grow', reason: `batches filling, latency within target${gain}: batch ${current} → ${next}` };
  }

  private probedFromLabel(before: Efficiency): string {
    for (const [size, value] of this.efficiency) if (value === before) return String(size);
    return 'the previous size';
  }

  private efficiencyGainText(current: number): string {
    const here = this.efficiency.get(current);
    const smaller = [...this.efficiency.keys()].filter((s) => s < current).sort((a, b) => b - a)[0];
    if (here === undefined || smaller === undefined) return '';
    const before = this.efficiency.get(smaller)!;
    const gain = (here.rowsPerMs / before.rowsPerMs - 1) * 100;
    return ` (per-row cost down ${gain.toFixed(0)} % from batch ${smaller})`;
  }

  private shrinkTo(next: number, why: string): BatchSizeStep {
    const current = this.sizeValue;
    this.probedFrom = null;
    if (next === current) return hold(current);
    this.sizeValue = next;
    return { size: next, change: 'shrink', reason: `${why}: batch ${current} → ${next}` };
  }

  private clamp(value: number): number {
    return Math.min(this.config.max, Math.max(this.config.min, Math.round(value)));
  }
}

function hold(size: number): BatchSizeStep {
  return { size, change: 'hold', reason: null };
}
