/**
 * How many replicas of this deployment the current traffic calls for, from what ONE replica can
 * see: its own lag and lag slope, the records it writes per second, and how busy its write stage
 * is. Exported as `sluice_desired_replicas`; a KEDA Prometheus trigger (or an HPA on an external
 * metric) aggregates it over the pods with max().
 *
 *   capacity per replica  = written/s ÷ write utilization        (what a fully busy replica writes)
 *   needed by this share  = written/s + max(0, lag slope) + lag ÷ drainSeconds
 *   desired               = ⌈ replicas now × needed ÷ (capacity × targetUtilization) ⌉
 *
 * clamped to [1, partition count]: a consumer group never gives one partition to two members, so
 * replicas beyond the partition count sit idle (README, "replicas ≤ partitions").
 *
 * Units are Kafka records (lag is counted in records), not rows after compaction. "Replicas now"
 * is estimated as partitions ÷ partitions assigned here, which is exact for an even assignment.
 * The symmetric assumption (every replica sees the same load per partition) is what makes one
 * replica's view enough; a hot partition makes its owner ask for more, which max() then honours.
 */

export interface ScaleHintConfig {
  /** Lag present now should be drained within this many seconds. */
  readonly drainSeconds: number;
  /** Plan for replicas busy this share of the time, leaving headroom for bursts. */
  readonly targetUtilization: number;
  /** Utilizations below this are treated as this (a nearly idle write stage says little). */
  readonly minUtilization: number;
}

export const defaultScaleHintConfig: ScaleHintConfig = {
  drainSeconds: 300,
  targetUtilization: 0.8,
  minUtilization: 0.05,
};

export interface ScaleObservation {
  /** Partitions of every topic the deployment consumes (the upper bound on useful replicas). */
  readonly partitions: number;
  /** Partitions assigned to this replica. */
  readonly assignedPartitions: number;
  /** Lag of this replica's partitions, records. */
  readonly lagRecords: number;
  /** Slope of that lag, records/s (positive while it grows). */
  readonly lagSlope: number;
  /** Records this replica wrote per second, measured over the last sampling interval. */
  readonly writtenPerSecond: number;
  /** Busy ratio of the write stage (0..1), null when not measured yet (then taken as 1). */
  readonly writeUtilization: number | null;
}

export interface ScaleHint {
  readonly replicas: number;
  /** The estimate of the replicas running now that the hint scales from. */
  readonly currentReplicas: number;
  /** One line an operator can read: the figures behind the number. */
  readonly reason: string;
}

export function desiredReplicas(observation: ScaleObservation, config: ScaleHintConfig = defaultScaleHintConfig): ScaleHint {
  const partitions = Math.max(1, Math.floor(observation.partitions));
  const clamp = (replicas: number): number => Math.min(partitions, Math.max(1, replicas));
  if (observation.assignedPartitions <= 0) {
    return { replicas: 1, currentReplicas: 0, reason: 'no partitions assigned to this replica: no opinion beyond the minimum' };
  }
  const currentReplicas = clamp(Math.round(partitions / observation.assignedPartitions));
  const lag = Math.max(0, observation.lagRecords);
  const growth = Math.max(0, observation.lagSlope);
  const written = Math.max(0, observation.writtenPerSecond);
  if (written <= 0) {
    if (lag === 0 && growth === 0) return { replicas: 1, currentReplicas, reason: 'idle: nothing written and no lag' };
    return {
      replicas: currentReplicas,
      currentReplicas,
      reason: `lag ${Math.round(lag)} records but nothing written in the interval: throughput unknown, keeping ${currentReplicas}`,
    };
  }
  const utilization = Math.min(1, Math.max(config.minUtilization, observation.writeUtilization ?? 1));
  const capacity = written / utilization;
  const needed = written + growth + lag / config.drainSeconds;
  const exact = (currentReplicas * needed) / (capacity * config.targetUtilization);
  // A hair of tolerance so that floating-point noise at an exact multiple does not add a replica.
  const replicas = clamp(Math.ceil(exact - 1e-9));
  const capped = Math.ceil(exact - 1e-9) > partitions ? ` (capped at ${partitions} partitions)` : '';
  return {
    replicas,
    currentReplicas,
    reason:
      `needs ${needed.toFixed(1)} records/s per replica share (written ${written.toFixed(1)}/s, lag slope ${observation.lagSlope.toFixed(1)}/s, ` +
      `lag ${Math.round(lag)} to drain in ${config.drainSeconds} s); capacity ${capacity.toFixed(1)}/s at ${(utilization * 100).toFixed(0)} % busy; ` +
      `${currentReplicas} → ${replicas} replicas${capped}`,
  };
}
