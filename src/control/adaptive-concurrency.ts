/**
 * Write concurrency by AIMD, after Vector's adaptive request concurrency
 * (src/sinks/util/adaptive_concurrency/controller.rs): keep an EWMA (with deviation) of the
 * per-interval mean write latency; once per interval
 *   - on a backpressure error, or a latency at or above mean + scale × deviation (at least
 *     `minBandFraction` of the mean) in an interval where the limit was reached: multiply the
 *     limit by a decrease ratio (at least −1, never below the minimum);
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
 * up. As a second signal the controller learns the sink's unqueued latency per batch size
 * (unqueued-latency.ts) and estimates, as TCP Vegas does, how many writes are queued rather
 * than served: limit × (1 − unqueued / current). More than `queueMax` queued is a decrease; an
 * increase needs fewer than `queueMin`.
 */
import { EwmaVariance, type MeanDeviation } from './ewma.ts';
import { UnqueuedLatencyModel } from './unqueued-latency.ts';

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
  /** Per interval, the remembered unqueued latencies rise by this fraction (forgetting). */
  readonly unqueuedDrift: number;
}

export const defaultAdaptiveConcurrencyConfig: AdaptiveConcurrencyConfig = {
  min: 1,
  max: 8,
  initial: 1,
  ewmaAlpha: 0.4,
  deviationScale: 2.5,
  minBandFraction: 0.2,
  latencyDecreaseRatio: 0.9,
  backpressureDecreaseRatio: 0.7,
  queueMax: 1,
  queueMin: 0.5,
  unqueuedDrift: 0.0005,
};

/** What happened to writes during one interval. */
export interface ConcurrencyInterval {
  /** Mean latency of writes that succeeded, ms; null when none completed. */
  readonly meanLatencyMs: number | null;
  /** Mean rows of those writes (for the unqueued-latency model); null = unknown. */
  readonly meanRows?: number | null;
  readonly backpressure: boolean;
  /** Writes failed with retryable errors and none succeeded (the sink looks down). */
  readonly unavailable: boolean;
  /** In-flight writes reached the limit at some point. */
  readonly reachedLimit: boolean;
  /** At most one write was in flight: nothing of ours queued, the latency is the sink's own. */
  readonly alone?: boolean;
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
  private readonly unqueued: UnqueuedLatencyModel;
  private expectedUnqueued: number | null = null;
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
    this.unqueued = new UnqueuedLatencyModel(this.config.unqueuedDrift);
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
  }

  /**
   * Writes estimated to be waiting in the sink rather than being served, for writes of `rows`
   * taking `currentLatencyMs`; null before the model has data.
   */
  estimatedQueue(currentLatencyMs: number, rows: number | null = null): number | null {
    const unqueued = rows === null ? this.expectedUnqueued : this.unqueued.predict(rows);
    if (unqueued === null || currentLatencyMs <= 0) return null;
    return Math.max(0, this.limitValue * (1 - unqueued / currentLatencyMs));
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
    const rows = interval.meanRows ?? 1;
    const past = this.latency.state();
    this.latency.update(current);
    this.unqueued.age();
    if (interval.alone === true) this.unqueued.reset(rows, current);
    else this.unqueued.observe(rows, current);
    this.expectedUnqueued = this.unqueued.predict(rows);
    if (past === null) return { limit: before, change: 'hold', reason: null };

    const band = Math.max(past.deviation * this.config.deviationScale, past.mean * this.config.minBandFraction);
    const queued = this.estimatedQueue(current) ?? 0;
    // A latency rise only counts when the limit was reached: lowering a limit that was not in
    // use changes nothing the sink sees, and single slow writes are not a trend.
    const latencyRose = current >= past.mean + band && interval.reachedLimit;
    if (before > min && (latencyRose || queued > this.config.queueMax)) {
      const next = decrease(before, this.config.latencyDecreaseRatio, min);
      this.slowStartThreshold = Math.max(min, next);
      const why = latencyRose
          ? `write latency ${fmt(current)} ms rose above ${fmt(past.mean)} ± ${fmt(band)} ms`
          : `about ${queued.toFixed(1)} writes queued in the sink (latency ${fmt(current)} ms vs ${fmt(this.expectedUnqueued ?? 0)} ms unqueued)`;
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
