/**
 * Consumer lag and its trend, per partition and in total.
 *
 * The pipeline samples the broker on an interval (KafkaAdmin.endOffsets / committedOffsets) and
 * feeds each sample to `LagTracker.record`. Lag is log-end offset − committed offset (what
 * retention can destroy); the lag behind the fetch position is reported alongside (what is not
 * even in memory yet).
 *
 * Trend: least-squares slope over a short and a long window. Classes, after the article
 * ("a lag that grows linearly indicates a sustained throughput mismatch; a lag that spikes and
 * then recovers indicates a transient burst; a lag that grows exponentially suggests a cascading
 * failure"):
 *   steady      lag neither growing nor draining beyond the noise threshold;
 *   spike       a burst being absorbed: lag has grown for less than `sustainMs`, has just
 *               stopped growing (within one short window), or is draining;
 *   linear      lag has grown for at least `sustainMs` at a roughly constant slope;
 *   exponential lag has grown for at least `sustainMs` and the slope itself keeps growing.
 * The noise threshold is max(minSlope, relativeSlope × production rate), so a slope that is
 * small against the traffic does not count as growth; a lag smaller than `negligibleLagSeconds`
 * of production is steady whatever its slope (that much is normally in flight).
 *
 * Hot partition: a partition whose lag is at least `hotFactor` times the median lag of the other
 * partitions of its topic (and at least `hotMinLag`), e.g. the article's 5,000 against 500 / 200,
 * and has stayed so for `hotSustainMs`.
 */
import { TimeSeriesWindow } from './linear-fit.ts';

export type LagClass = 'steady' | 'spike' | 'linear' | 'exponential';

export interface PartitionLagObservation {
  readonly topic: string;
  readonly partition: number;
  /** High watermark of the partition. */
  readonly logEndOffset: bigint;
  /** Next offset the group will read after a restart; null when the group never committed. */
  readonly committedOffset: bigint | null;
  /** Next offset the consumer will fetch, when the source knows it. */
  readonly fetchPosition?: bigint | null;
  /**
   * Age (ms) of the oldest record not yet durably written — the record at the committed offset —
   * when known (its Kafka timestamp, if it has been fetched); null lets retention estimates fall
   * back to lag ÷ production rate.
   */
  readonly oldestUnwrittenAgeMs?: number | null;
}

export interface LagSample {
  /** Sample time, ms (the injected clock). */
  readonly at: number;
  readonly partitions: readonly PartitionLagObservation[];
}

export interface LagTrackerConfig {
  readonly shortWindowMs: number;
  readonly longWindowMs: number;
  /** Growth must last this long before it is called linear or exponential rather than a spike. */
  readonly sustainMs: number;
  /** Absolute noise floor for a slope, records/s. */
  readonly minSlope: number;
  /** Noise floor relative to the production rate (0.05 = 5 % of records/s produced). */
  readonly relativeSlope: number;
  /** The slope must grow by this fraction of itself over the fitted span to be exponential. */
  readonly accelerationRatio: number;
  /** A lag worth less than this many seconds of production is steady, whatever its slope. */
  readonly negligibleLagSeconds: number;
  readonly hotFactor: number;
  readonly hotMinLag: number;
  /** A partition must stay hot this long before it is named (drains are uneven for a moment). */
  readonly hotSustainMs: number;
}

export const defaultLagTrackerConfig: LagTrackerConfig = {
  shortWindowMs: 30_000,
  longWindowMs: 300_000,
  sustainMs: 60_000,
  minSlope: 5,
  relativeSlope: 0.05,
  accelerationRatio: 0.5,
  negligibleLagSeconds: 10,
  hotFactor: 5,
  hotMinLag: 1_000,
  hotSustainMs: 30_000,
};

export interface LagTrend {
  /** Latest lag, records. */
  readonly lag: number;
  /** records/s over the short window (0 until two samples). */
  readonly shortSlope: number;
  /** records/s over the long window. */
  readonly longSlope: number;
  /** records/s produced (slope of the log-end offset over the long window). */
  readonly productionRate: number;
  readonly lagClass: LagClass;
  /** How long the lag has been growing without interruption, ms (0 when it is not growing). */
  readonly growingForMs: number;
}

export interface PartitionLag extends LagTrend {
  readonly topic: string;
  readonly partition: number;
  /** Log-end offset − fetch position, when the fetch position is known. */
  readonly fetchLag: number | null;
  readonly oldestUnwrittenAgeMs: number | null;
}

export interface HotPartition {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
  readonly siblingMedianLag: number;
}

export interface LagAssessment {
  readonly at: number;
  readonly total: LagTrend & { readonly oldestUnwrittenAgeMs: number | null };
  readonly partitions: readonly PartitionLag[];
  readonly hot: readonly HotPartition[];
}

/**
 * One lag time series with the little state classification needs (when growth began, the
 * history of short-window slopes). Exported for unit tests of the classification.
 */
export class LagSeries {
  private readonly lags = new TimeSeriesWindow();
  private readonly logEnds = new TimeSeriesWindow();
  private readonly slopeHistory = new TimeSeriesWindow();
  private growingSince: number | null = null;
  private growthEndedAt: number | null = null;
  private firstAt: number | null = null;
  private trend: LagTrend = {
    lag: 0,
    shortSlope: 0,
    longSlope: 0,
    productionRate: 0,
    lagClass: 'steady',
    growingForMs: 0,
  };

  constructor(private readonly config: LagTrackerConfig) {}

  add(at: number, lag: number, logEndOffset: number): LagTrend {
    const last = this.lags.lastTime();
    if (last !== null && at <= last) return this.trend;
    const horizon = at - this.config.longWindowMs;
    this.lags.push(at, lag);
    this.logEnds.push(at, logEndOffset);
    this.lags.dropUpTo(horizon);
    this.logEnds.dropUpTo(horizon);

    const shortSlope = this.lags.slopeAfter(at - this.config.shortWindowMs) ?? 0;
    const longSlope = this.lags.slopeAfter(horizon) ?? 0;
    const productionRate = Math.max(0, this.logEnds.slopeAfter(horizon) ?? 0);
    this.slopeHistory.push(at, shortSlope);
    this.slopeHistory.dropUpTo(horizon);

    this.firstAt ??= at;
    if (at - this.firstAt < this.config.shortWindowMs) {
      // Too little history for a slope to mean anything.
      this.trend = { lag, shortSlope, longSlope, productionRate, lagClass: 'steady', growingForMs: 0 };
      return this.trend;
    }
    const threshold = Math.max(this.config.minSlope, this.config.relativeSlope * productionRate);
    // Hysteresis: growth starts above the threshold and only ends below half of it, so noise
    // around the threshold does not restart the sustain clock.
    if (this.growingSince === null) {
      if (shortSlope > threshold) this.growingSince = at;
    } else if (shortSlope <= threshold / 2) {
      this.growingSince = null;
      this.growthEndedAt = at;
    }
    const growingForMs = this.growingSince === null ? 0 : at - this.growingSince;

    let lagClass: LagClass;
    // Leaving 'steady' needs the full negligible lag; returning to it by this rule needs half of
    // it, so a lag hovering at the threshold does not flap between classes.
    const negligible = Math.max(this.config.minSlope, productionRate) * this.config.negligibleLagSeconds;
    if (lag <= (this.trend.lagClass === 'steady' ? negligible : negligible / 2)) {
      // Seconds' worth of records is what a healthy pipeline holds in flight.
      lagClass = 'steady';
    } else if (this.growingSince !== null) {
      if (growingForMs < this.config.sustainMs) lagClass = 'spike';
      else lagClass = this.isAccelerating() ? 'exponential' : 'linear';
    } else if (lag > 0 && (shortSlope < -threshold || this.justStoppedGrowing(at))) {
      // Draining, or at the crest between growth and draining (where the short slope passes
      // through zero): the burst is being absorbed.
      lagClass = 'spike';
    } else {
      lagClass = 'steady';
    }
    this.trend = { lag, shortSlope, longSlope, productionRate, lagClass, growingForMs };
    return this.trend;
  }

  latest(): LagTrend {
    return this.trend;
  }

  private justStoppedGrowing(at: number): boolean {
    return this.growthEndedAt !== null && at - this.growthEndedAt < this.config.shortWindowMs;
  }

  /**
   * The slope is itself growing: fit the short-window slopes recorded since growth began
   * (skipping the first short window, where the slope ramps up from the onset) and compare the
   * rise over the fitted span with the mean slope.
   */
  private isAccelerating(): boolean {
    if (this.growingSince === null) return false;
    const fitFrom = this.growingSince + this.config.shortWindowMs;
    const fitted = this.slopeHistory.summarySince(fitFrom);
    if (fitted.count < 3 || fitted.spanMs < this.config.shortWindowMs) return false;
    const acceleration = this.slopeHistory.slopeSince(fitFrom) ?? 0;
    if (fitted.mean <= 0 || acceleration <= 0) return false;
    return (acceleration * (fitted.spanMs / 1000)) / fitted.mean >= this.config.accelerationRatio;
  }

}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** Partitions whose lag is far above the median of their topic's other partitions. */
export function findHotPartitions(
  lags: readonly { readonly topic: string; readonly partition: number; readonly lag: number }[],
  config: Pick<LagTrackerConfig, 'hotFactor' | 'hotMinLag'>,
): HotPartition[] {
  const byTopic = new Map<string, { partition: number; lag: number }[]>();
  for (const l of lags) {
    const list = byTopic.get(l.topic);
    if (list === undefined) byTopic.set(l.topic, [{ partition: l.partition, lag: l.lag }]);
    else list.push({ partition: l.partition, lag: l.lag });
  }
  const hot: HotPartition[] = [];
  for (const [topic, list] of byTopic) {
    if (list.length < 2) continue;
    const sorted = list.map((p) => p.lag).sort((a, b) => a - b);
    for (const candidate of list) {
      if (candidate.lag < config.hotMinLag) continue;
      const siblingMedianLag = medianWithout(sorted, candidate.lag);
      if (candidate.lag >= config.hotFactor * Math.max(siblingMedianLag, 1)) {
        hot.push({ topic, partition: candidate.partition, lag: candidate.lag, siblingMedianLag });
      }
    }
  }
  return hot;
}

/** Median of a sorted list with one occurrence of `excluded` removed. */
function medianWithout(sorted: readonly number[], excluded: number): number {
  const skip = sorted.indexOf(excluded);
  const n = sorted.length - 1;
  const at = (i: number) => sorted[i >= skip ? i + 1 : i]!;
  if (n === 0) return 0;
  const middle = Math.floor(n / 2);
  return n % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

export class LagTracker {
  private readonly series = new Map<string, LagSeries>();
  private readonly totalSeries: LagSeries;
  private last: LagAssessment | null = null;
  private readonly hotSince = new Map<string, number>();
  readonly config: LagTrackerConfig;

  constructor(config: Partial<LagTrackerConfig> = {}) {
    this.config = { ...defaultLagTrackerConfig, ...config };
    this.totalSeries = new LagSeries(this.config);
  }

  /**
   * Add one sample. Partitions whose committed offset is unknown use the fetch position; when
   * neither is known the partition is left out (its lag is not measurable yet).
   */
  record(sample: LagSample): LagAssessment {
    const partitions: PartitionLag[] = [];
    let totalLag = 0;
    let totalLogEnd = 0;
    let oldestAge: number | null = null;
    for (const observation of sample.partitions) {
      const logEnd = Number(observation.logEndOffset);
      const fetchPosition = observation.fetchPosition ?? null;
      const base = observation.committedOffset ?? fetchPosition;
      if (base === null) continue;
      const lag = Math.max(0, logEnd - Number(base));
      const key = partitionKey(observation.topic, observation.partition);
      let series = this.series.get(key);
      if (series === undefined) {
        series = new LagSeries(this.config);
        this.series.set(key, series);
      }
      const trend = series.add(sample.at, lag, logEnd);
      const age = observation.oldestUnwrittenAgeMs ?? null;
      if (age !== null) oldestAge = Math.max(oldestAge ?? 0, age);
      partitions.push({
        ...trend,
        topic: observation.topic,
        partition: observation.partition,
        fetchLag: fetchPosition === null ? null : Math.max(0, logEnd - Number(fetchPosition)),
        oldestUnwrittenAgeMs: age,
      });
      totalLag += lag;
      totalLogEnd += logEnd;
    }
    const total = { ...this.totalSeries.add(sample.at, totalLag, totalLogEnd), oldestUnwrittenAgeMs: oldestAge };
    const hotNow = findHotPartitions(partitions, this.config);
    const hotKeys = new Set(hotNow.map((h) => partitionKey(h.topic, h.partition)));
    for (const key of this.hotSince.keys()) if (!hotKeys.has(key)) this.hotSince.delete(key);
    for (const key of hotKeys) if (!this.hotSince.has(key)) this.hotSince.set(key, sample.at);
    const hot = hotNow.filter(
      (h) => sample.at - this.hotSince.get(partitionKey(h.topic, h.partition))! >= this.config.hotSustainMs,
    );
    this.last = { at: sample.at, total, partitions, hot };
    return this.last;
  }

  latest(): LagAssessment | null {
    return this.last;
  }

  /** Drop the history of partitions this member no longer owns (after a rebalance). */
  forget(partitions: readonly { readonly topic: string; readonly partition: number }[]): void {
    for (const p of partitions) {
      this.series.delete(partitionKey(p.topic, p.partition));
      this.hotSince.delete(partitionKey(p.topic, p.partition));
    }
  }
}
