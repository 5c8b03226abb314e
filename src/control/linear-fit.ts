/**
 * Ordinary least squares over (t, v) points: the slope of lag over time, of production over
 * time, of a slope over time. Kept separate because the lag classifier fits several windows
 * and the tests check the maths directly.
 */
export interface TimedValue {
  /** Time in milliseconds (any origin; only differences matter). */
  readonly t: number;
  readonly v: number;
}

/**
 * Slope of v per SECOND by least squares, or null when fewer than two points or when all
 * points share one instant (no spread to fit against).
 */
export function leastSquaresSlopePerSecond(points: readonly TimedValue[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  let meanT = 0;
  let meanV = 0;
  for (const p of points) {
    meanT += p.t;
    meanV += p.v;
  }
  meanT /= n;
  meanV /= n;
  let covariance = 0;
  let varianceT = 0;
  for (const p of points) {
    const dt = p.t - meanT;
    covariance += dt * (p.v - meanV);
    varianceT += dt * dt;
  }
  if (varianceT === 0) return null;
  return (covariance / varianceT) * 1000;
}

/** The points whose time lies in (now - windowMs, now]. Input must be sorted by time. */
export function pointsWithin<T extends TimedValue>(points: readonly T[], now: number, windowMs: number): T[] {
  const from = now - windowMs;
  const result: T[] = [];
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    if (p.t <= from) break;
    if (p.t <= now) result.push(p);
  }
  return result.reverse();
}

/**
 * A time-ordered window of values kept in flat arrays, so fitting it every sample allocates
 * nothing (the lag tracker fits several windows per partition per sample).
 */
export class TimeSeriesWindow {
  private times: number[] = [];
  private values: number[] = [];
  private start = 0;

  get length(): number {
    return this.times.length - this.start;
  }

  lastTime(): number | null {
    return this.length === 0 ? null : this.times[this.times.length - 1]!;
  }

  push(t: number, v: number): void {
    this.times.push(t);
    this.values.push(v);
  }

  /** Drops points with time ≤ horizon. */
  dropUpTo(horizon: number): void {
    while (this.start < this.times.length && this.times[this.start]! <= horizon) this.start++;
    if (this.start > 1024 && this.start * 2 > this.times.length) {
      this.times = this.times.slice(this.start);
      this.values = this.values.slice(this.start);
      this.start = 0;
    }
  }

  /** Least-squares slope per second of the points with time > from; null as leastSquaresSlopePerSecond. */
  slopeAfter(from: number): number | null {
    return this.slopeFrom(this.firstIndex(from, false));
  }

  /** As slopeAfter, for the points with time ≥ from. */
  slopeSince(from: number): number | null {
    return this.slopeFrom(this.firstIndex(from, true));
  }

  private slopeFrom(first: number): number | null {
    const n = this.times.length - first;
    if (n < 2) return null;
    let meanT = 0;
    let meanV = 0;
    for (let i = first; i < this.times.length; i++) {
      meanT += this.times[i]!;
      meanV += this.values[i]!;
    }
    meanT /= n;
    meanV /= n;
    let covariance = 0;
    let varianceT = 0;
    for (let i = first; i < this.times.length; i++) {
      const dt = this.times[i]! - meanT;
      covariance += dt * (this.values[i]! - meanV);
      varianceT += dt * dt;
    }
    return varianceT === 0 ? null : (covariance / varianceT) * 1000;
  }

  /** Count, time span (ms) and mean value of the points with time ≥ from. */
  summarySince(from: number): { readonly count: number; readonly spanMs: number; readonly mean: number } {
    const first = this.firstIndex(from, true);
    const count = this.times.length - first;
    if (count === 0) return { count: 0, spanMs: 0, mean: 0 };
    let sum = 0;
    for (let i = first; i < this.times.length; i++) sum += this.values[i]!;
    return { count, spanMs: this.times[this.times.length - 1]! - this.times[first]!, mean: sum / count };
  }

  /** Index of the first point with time > from (or ≥ from when inclusive). */
  private firstIndex(from: number, inclusive: boolean): number {
    let low = this.start;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const t = this.times[mid]!;
      if (inclusive ? t >= from : t > from) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}
