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
