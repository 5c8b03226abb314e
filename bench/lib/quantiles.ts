/** Quantiles of measured samples and of Prometheus histograms scraped from sluice. */
import type { MetricSample } from '../../test/support/sluice-harness.ts';

/** Nearest-rank quantile of unsorted samples; null when there are none. */
export function quantile(samples: readonly number[], q: number): number | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}

/** histogram_quantile over cumulative `le` buckets, linear within a bucket (coarse: the bucket bounds decide). */
export function histogramQuantile(samples: readonly MetricSample[], name: string, q: number): number | null {
  const buckets = samples
    .filter((sample) => sample.name === `${name}_bucket`)
    .map((sample) => ({ le: sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le), count: sample.value }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let previous = { le: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return previous.le;
      const inBucket = bucket.count - previous.count;
      return previous.le + (bucket.le - previous.le) * (inBucket === 0 ? 0 : (rank - previous.count) / inBucket);
    }
    previous = bucket;
  }
  return previous.le;
}
