/**
 * What a run achieved, as named numbers that scenario files put bands on. Times are simulated
 * seconds; "never" is reported as 1e9 so a band can still exclude it. Booleans are 0 / 1.
 */
import type { ScenarioParams } from './scenario.ts';
import type { RunRecord, TickRecord } from './pipeline-model.ts';

export const never = 1e9;

export type Metrics = Record<string, number>;

/** End of the backlog that started at `from` s: the first tick after the lag's last excursion. */
export function drainedAt(run: RunRecord, from: number, drainedLag: number): number {
  const after = run.ticks.filter((t) => t.t >= from);
  const lastAbove = after.findLastIndex((t) => t.totalLag > drainedLag);
  if (lastAbove === -1) return from;
  if (lastAbove === after.length - 1) return never;
  return after[lastAbove + 1]!.t;
}

/** Rows written per second between `from` and the end of the backlog (or the end of the run). */
export function backlogThroughput(run: RunRecord, params: ScenarioParams): number {
  const from = params.measure.backlog_from_s;
  const drained = drainedAt(run, from, params.measure.drained_lag);
  const until = Math.min(drained, params.duration_s);
  if (until <= from) return 0;
  const rows = run.writes.filter((w) => w.t > from && w.t <= until).reduce((sum, w) => sum + w.rows, 0);
  return rows / (until - from);
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Largest relative distance from the median (0.2 = everything within ±20 %). */
function deviationFromMedian(values: readonly number[]): number {
  const m = median(values);
  if (m === 0) return 0;
  return Math.max(0, ...values.map((v) => Math.abs(v - m) / m));
}

export function computeMetrics(run: RunRecord, params: ScenarioParams, statics: readonly RunRecord[]): Metrics {
  const m = params.measure;
  const end = params.duration_s;
  const ticks = run.ticks;
  const tail = ticks.filter((t) => t.t > end - m.tail_s);
  const tailWrites = run.writes.filter((w) => w.t > end - m.tail_s);
  const drained = drainedAt(run, m.backlog_from_s, m.drained_lag);
  const backlogTicks = ticks.filter((t) => t.t >= m.backlog_from_s && t.t < Math.min(drained, end));
  const classes = new Set(ticks.map((t) => t.lagClass));
  const firstClass = (c: TickRecord['lagClass']) => ticks.find((t) => t.lagClass === c)?.t ?? never;
  const warnings = run.events.filter((e) => e.event.kind === 'retention-risk');
  const hot = run.events.flatMap((e) => (e.event.kind === 'hot-partition' ? [e.event.partition] : []));
  const settled = m.settle_from_s === undefined ? [] : ticks.filter((t) => t.t >= m.settle_from_s!);

  const metrics: Metrics = {
    produced_records: run.produced,
    written_records: run.written,
    lost_records: run.lost,
    unwritten_at_end: run.unwrittenAtEnd,
    /** produced = written + lost + unwritten: every record is accounted for. */
    unaccounted_records: run.produced - run.written - run.lost - run.unwrittenAtEnd,
    first_loss_s: run.firstLossAt ?? never,
    max_inflight_fraction: run.peakInflightBytes / run.maxInflightBytes,
    max_used_fraction_at_ticks: Math.max(0, ...ticks.map((t) => t.usedBytes)) / run.maxInflightBytes,
    pause_events: run.pauseEvents,
    paused_seconds: run.pausedSeconds,
    drain_s: drained === never ? never : drained - m.backlog_from_s,
    backlog_throughput: backlogThroughput(run, params),
    max_total_lag: Math.max(0, ...ticks.map((t) => t.totalLag)),
    write_attempts: run.attempts,
    backpressure_errors: run.backpressureErrors,
    retryable_errors: run.retryableErrors,
    backpressure_error_fraction: run.attempts === 0 ? 0 : run.backpressureErrors / run.attempts,
    max_batch_size: Math.max(0, ...ticks.map((t) => t.batchSize)),
    max_concurrency: Math.max(0, ...ticks.map((t) => t.concurrency)),
    mean_backlog_batch_size: mean(backlogTicks.map((t) => t.batchSize)),
    mean_backlog_concurrency: mean(backlogTicks.map((t) => t.concurrency)),
    bottleneck_write_fraction:
      backlogTicks.length === 0 ? 0 : backlogTicks.filter((t) => t.bottleneck === 'write').length / backlogTicks.length,
    tail_batch_size: mean(tail.map((t) => t.batchSize)),
    tail_concurrency: mean(tail.map((t) => t.concurrency)),
    tail_latency_ms: mean(tailWrites.map((w) => w.latencyMs)),
    tail_lag: mean(tail.map((t) => t.totalLag)),
    saw_steady: classes.has('steady') ? 1 : 0,
    saw_spike: classes.has('spike') ? 1 : 0,
    saw_linear: classes.has('linear') ? 1 : 0,
    saw_exponential: classes.has('exponential') ? 1 : 0,
    first_linear_s: firstClass('linear'),
    first_exponential_s: firstClass('exponential'),
    retention_warnings: warnings.length,
    writes_stalled_events: run.events.filter((e) => e.event.kind === 'writes-stalled').length,
    first_retention_warning_s: warnings[0]?.t ?? never,
    /** How long before the first record was lost the warning came (never − t when none was lost). */
    warning_lead_s: (run.firstLossAt ?? never) - (warnings[0]?.t ?? never),
    hot_partitions_named: new Set(hot).size,
    first_hot_partition: hot[0] ?? -1,
    settled_batch_deviation: deviationFromMedian(settled.map((t) => t.batchSize)),
    settled_concurrency_deviation: deviationFromMedian(settled.map((t) => t.concurrency)),
  };
  if (statics.length > 0) {
    const best = Math.max(...statics.map((s) => backlogThroughput(s, params)));
    metrics.best_static_throughput = best;
    metrics.throughput_ratio_vs_best_static = best === 0 ? 0 : metrics.backlog_throughput! / best;
  }
  if (params.sink.quota_rows_per_s !== null) {
    metrics.quota_utilisation = metrics.backlog_throughput! / params.sink.quota_rows_per_s;
  }
  return metrics;
}
