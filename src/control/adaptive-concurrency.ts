/**
 * Write concurrency by AIMD, after Vector's adaptive request concurrency
 * (src/sinks/util/adaptive_concurrency/controller.rs): keep an EWMA (with deviation) of the
 * per-interval mean write latency; once per interval
 *   - on a backpressure error, or a latency at or above mean + scale × deviation:
 *     multiply the limit by a decrease ratio (at least −1, never below the minimum);
 *   - else, when the limit was actually reached in the interval (there was demand for more)
 *     and the latency is not above the mean: increase it.
 * Increases are +1 (congestion avoidance), except in slow start, where the limit doubles up to a
 * threshold: from the start up to the maximum until the first decrease, and after a failure
 * that was not the sink's verdict (an outage: retryable errors) up to the last limit that was
 * known good — the warm start. The latency baseline is reset when the batch size changes,
 * since a batch of another size has another latency.
 *
 * A sink that queues (a warehouse with a few slots) raises latency gradually as concurrency
 * grows, slowly enough for the EWMA to follow, so the deviation band alone lets the limit drift
 * up. As a second signal the controller keeps the lowest latency seen since the baseline reset
 * (forgotten slowly, so a sink that degrades is followed) and estimates, as TCP Vegas does, how
 * many writes are queued rather than served: limit × (1 − minimum / current). More than
 * `queueMax` queued is a decrease; an increase needs fewer than `queueMin`.
 */
import { EwmaVariance, type MeanDeviation } from './ewma.ts';

export interface AdaptiveConcurrencyConfig {
  readonly min: number;
  readonly max: number;
  /** Start value; pass a persisted last-good value to warm-start after a restart. */
  readonly initial: number;
  readonly ewmaAlpha: number;
  /** Vector's rtt_deviation_scale. */
  readonly deviationScale: number;
  /** The latency band is at least this fraction of the mean, so a noiseless sink is not hair-triggered. */
  readonly minBandFraction: number;
  readonly latencyDecreaseRatio: number;
  readonly backpressureDecreaseRatio: number;
  /** Estimated queued writes above which the limit decreases. */
  readonly queueMax: number;
  /** Estimated queued writes below which the limit may increase. */
  readonly queueMin: number;
  /** Per interval, the remembered minimum latency rises by this fraction (forgetting). */
  readonly minLatencyDrift: number;
}

export const defaultAdaptiveConcurrencyConfig: AdaptiveConcurrencyConfig = {
  min: 1,
  max: 8,
  initial: 1,
  ewmaAlpha: 0.4,
  deviationScale: 2.5,
  minBandFraction: 0.1,
  latencyDecreaseRatio: 0.9,
  backpressureDecreaseRatio: 0.7,
  queueMax: 2,
  queueMin: 1,
  minLatencyDrift: 0.001,
};

/** What happened to writes during one interval. */
export interface ConcurrencyInterval {
  /** Mean latency of writes that succeeded, ms; null when none completed. */
  readonly meanLatencyMs: number | null;
  readonly backpressure: boolean;
  /** Writes failed with retryable errors and none succeeded (the sink looks down). */
  readonly unavailable: boolean;
  /** In-flight writes reached the limit at some point. */
  readonly reachedLimit: boolean;
}

export interface ConcurrencyStep {
  readonly limit: number;
  readonly change: 'increase' | 'decrease' | 'hold';
  /** Human-readable, set when the limit changed. */
  readonly reason: string | null;
}

export class AdaptiveConcurrency {
  private limitValue: number;
  private slowStartThreshold: number;
  private lastGoodValue: number;
  private readonly latency: EwmaVariance;
  private minLatency: number | null = null;
  readonly config: AdaptiveConcurrencyConfig;

  constructor(config: Partial<AdaptiveConcurrencyConfig> = {}) {
    this.config = { ...defaultAdaptiveConcurrencyConfig, ...config };
    if (this.config.min < 1 || this.config.max < this.config.min) {
      throw new RangeError(`concurrency bounds must satisfy 1 ≤ min ≤ max, got ${this.config.min}..${this.config.max}`);
    }
    this.limitValue = clamp(this.config.initial, this.config.min, this.config.max);
    this.slowStartThreshold = this.config.max;
    this.lastGoodValue = this.limitValue;
    this.latency = new EwmaVariance(this.config.ewmaAlpha);
  }

  get limit(): number {
    return this.limitValue;
  }

  get lastGood(): number {
    return this.lastGoodValue;
  }

  get threshold(): number {
    return this.slowStartThreshold;
  }

  latencyBaseline(): MeanDeviation | null {
    return this.latency.state();
  }

  /** Forget the latency baseline (the batch size changed); the next interval re-seeds it. */
  resetBaseline(): void {
    this.latency.reset();
    this.minLatency = null;
  }

  /** Writes estimated to be waiting in the sink rather than being served; null before data. */
  estimatedQueue(currentLatencyMs: number): number | null {
    if (this.minLatency === null || currentLatencyMs <= 0) return null;
    return Math.max(0, this.limitValue * (1 - this.minLatency / currentLatencyMs));
  }

  step(interval: ConcurrencyInterval): ConcurrencyStep {
    const { min, max } = this.config;
    const before = this.limitValue;
    if (interval.backpressure) {
      const next = decrease(before, this.config.backpressureDecreaseRatio, min);
      this.slowStartThreshold = Math.max(min, next);
      return this.apply(next, `sink signalled backpressure: concurrency ${before} → ${next}`);
    }
    if (interval.unavailable) {
      // An outage says nothing about the sink's capacity: remember the last good limit and
      // climb back to it quickly once writes succeed again.
      const next = decrease(before, this.config.backpressureDecreaseRatio, min);
      this.slowStartThreshold = Math.max(this.lastGoodValue, next);
      return this.apply(next, `writes failing: concurrency ${before} → ${next} (will return to ${this.lastGoodValue})`);
    }
    if (interval.meanLatencyMs === null) return { limit: before, change: 'hold', reason: null };

    const current = interval.meanLatencyMs;
    const past = this.latency.state();
    this.latency.update(current);
    this.minLatency =
      this.minLatency === null ? current : Math.min(this.minLatency * (1 + this.config.minLatencyDrift), current);
    if (past === null) return { limit: before, change: 'hold', reason: null };

    const band = Math.max(past.deviation * this.config.deviationScale, past.mean * this.config.minBandFraction);
    const queued = this.estimatedQueue(current) ?? 0;
    if (before > min && (current >= past.mean + band || queued > this.config.queueMax)) {
      const next = decrease(before, this.config.latencyDecreaseRatio, min);
      this.slowStartThreshold = Math.max(min, next);
      const why =
        current >= past.mean + band
          ? `write latency ${fmt(current)} ms rose above ${fmt(past.mean)} ± ${fmt(band)} ms`
          : `about ${queued.toFixed(1)} writes queued in the sink (latency ${fmt(current)} ms vs ${fmt(this.minLatency)} ms unqueued)`;
      return this.apply(next, `${why}: concurrency ${before} → ${next}`);
    }
    if (current <= past.mean + band && queued <= this.config.queueMax) {
      this.lastGoodValue = Math.max(this.lastGoodValue, before);
    }
    if (interval.reachedLimit && current <= past.mean && queued < this.config.queueMin && before < max) {
      const slowStart = before < this.slowStartThreshold;
      const next = slowStart ? Math.min(this.slowStartThreshold, max, before * 2) : before + 1;
      return this.apply(
        next,
        `${slowStart ? 'slow start' : 'latency holds'} at ${fmt(interval.meanLatencyMs)} ms: concurrency ${before} → ${next}`,
      );
    }
    return { limit: before, change: 'hold', reason: null };
  }

  private apply(next: number, reason: string): ConcurrencyStep {
    const before = this.limitValue;
    this.limitValue = next;
    if (next < before) {
      // The good value is no longer trusted above what we just fell to, except after outages,
      // where slowStartThreshold keeps the memory.
      this.lastGoodValue = Math.min(this.lastGoodValue, Math.max(next, this.slowStartThreshold));
    }
    if (next === before) return { limit: next, change: 'hold', reason: null };
    return { limit: next, change: next > before ? 'increase' : 'decrease', reason };
  }
}

function decrease(current: number, ratio: number, min: number): number {
  return Math.max(min, Math.min(current - 1, Math.floor(current * ratio)));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}
