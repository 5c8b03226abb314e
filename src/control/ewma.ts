/**
 * Exponentially weighted mean and variance (Finch, "Incremental calculation of weighted mean
 * and variance", 2009) — the same statistic Vector's adaptive concurrency keeps of round-trip
 * times. `alpha` is the weight of the newest observation (0 < alpha ≤ 1).
 */
export interface MeanDeviation {
  readonly mean: number;
  /** Standard deviation (square root of the weighted variance). */
  readonly deviation: number;
}

export class EwmaVariance {
  private mean = 0;
  private variance = 0;
  private seen = false;

  constructor(private readonly alpha: number) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
  }

  update(value: number): MeanDeviation {
    if (!this.seen) {
      this.mean = value;
      this.variance = 0;
      this.seen = true;
    } else {
      const difference = value - this.mean;
      const increment = this.alpha * difference;
      this.mean += increment;
      this.variance = (1 - this.alpha) * (this.variance + difference * increment);
    }
    return this.state()!;
  }

  /** null until the first observation. */
  state(): MeanDeviation | null {
    return this.seen ? { mean: this.mean, deviation: Math.sqrt(this.variance) } : null;
  }

  reset(): void {
    this.seen = false;
    this.mean = 0;
    this.variance = 0;
  }
}
