/**
 * Time until retention deletes records this consumer has not written yet.
 *
 * Kafka deletes a partition's oldest data when it is older than `retention.ms` or when the
 * partition is larger than `retention.bytes` (both per partition; -1 = unlimited). Each limit
 * gives a budget of records the lag may reach before unwritten records are deleted:
 *   time:  retention.ms × production rate   (the oldest unwritten record is lag / rate old; with
 *          its measured age, the budget left is (retention.ms − age) × rate)
 *   bytes: retention.bytes / average record size
 * and the time to breach is (budget − lag) / lag slope, the smaller of the two. When the lag is
 * flat or draining there is no breach ('none'). Segment granularity (Kafka deletes whole
 * segments, so deletion is somewhat later than this) is ignored: the estimate errs early.
 *
 * Stalled writing (write-stall.ts: the oldest unwritten record stays the oldest, its age grows
 * one second per second) needs no trend: time retention deletes that record retention.ms − age
 * from now unless writing resumes, whatever the lag slope or production rate. With
 * `writingStalled` and a measured age, that is the time limit's ETA; the size limit is still
 * extrapolated from the slope.
 *
 * The article's example: lag growing 3,000 records/s against a budget of 28.8M records gives
 * 9,600 s ≈ 2.6 h. Note that 24 h × 10,000 records/s is 864M records, not 28.8M: the article's
 * budget corresponds to a size limit (e.g. retention.bytes = 28.8 GB at 1 kB per record); with
 * time retention alone its topic would last 80 h. The unit test shows both.
 */
export interface RetentionPolicy {
  /** retention.ms; -1 = unlimited. */
  readonly ms: number;
  /** retention.bytes per partition; -1 = unlimited. */
  readonly bytes: number;
}

export interface PartitionFlow {
  readonly lagRecords: number;
  /** records/s; positive when lag grows. */
  readonly lagSlope: number;
  /** records/s appended to the partition. */
  readonly productionRate: number;
  /** Average serialized record size, bytes; null when unknown (the size limit is then ignored). */
  readonly averageRecordBytes: number | null;
  /** Measured age of the oldest unwritten record, ms; null to estimate it as lag / rate. */
  readonly oldestUnwrittenAgeMs: number | null;
  /** Nothing is being written (write-stall.ts); absent = false. Used only with a measured age. */
  readonly writingStalled?: boolean;
}

export type RetentionLimit = 'time' | 'bytes';

export type BreachEta =
  | { readonly kind: 'none'; readonly reason: 'draining' | 'flat' | 'unlimited' }
  | {
      readonly kind: 'breach';
      /** Seconds from now; 0 when unwritten records are being deleted already. */
      readonly seconds: number;
      readonly limitedBy: RetentionLimit;
      readonly budgetRecords: number;
    };

/** A lag slope at or below this (records/s) counts as flat. */
const flatSlope = 1e-9;

export interface RecordBudget {
  readonly limitedBy: RetentionLimit;
  /** Records the lag may reach under this limit. */
  readonly budgetRecords: number;
  /** Records still left before breach under this limit. */
  readonly remainingRecords: number;
}

/** The budgets each configured limit allows; empty when retention is unlimited or unknown. */
export function recordBudgets(policy: RetentionPolicy, flow: PartitionFlow): RecordBudget[] {
  const budgets: RecordBudget[] = [];
  if (policy.ms >= 0 && flow.productionRate > 0) {
    const budgetRecords = (policy.ms / 1000) * flow.productionRate;
    const used =
      flow.oldestUnwrittenAgeMs === null ? flow.lagRecords : (flow.oldestUnwrittenAgeMs / 1000) * flow.productionRate;
    budgets.push({ limitedBy: 'time', budgetRecords, remainingRecords: budgetRecords - used });
  }
  if (policy.bytes >= 0 && flow.averageRecordBytes !== null && flow.averageRecordBytes > 0) {
    const budgetRecords = policy.bytes / flow.averageRecordBytes;
    budgets.push({ limitedBy: 'bytes', budgetRecords, remainingRecords: budgetRecords - flow.lagRecords });
  }
  return budgets;
}

/**
 * Seconds until time retention deletes the oldest unwritten record if nothing more is written:
 * retention.ms − its age (0 when it is due already); null without time retention or a measured age.
 */
export function stalledTimeToBreachSeconds(policy: RetentionPolicy, oldestUnwrittenAgeMs: number | null): number | null {
  if (policy.ms < 0 || oldestUnwrittenAgeMs === null) return null;
  return Math.max(0, (policy.ms - oldestUnwrittenAgeMs) / 1000);
}

export function timeToRetentionBreach(policy: RetentionPolicy, flow: PartitionFlow): BreachEta {
  const stalledSeconds = flow.writingStalled === true ? stalledTimeToBreachSeconds(policy, flow.oldestUnwrittenAgeMs) : null;
  const budgets = recordBudgets(policy, flow);
  if (budgets.length === 0 && stalledSeconds === null) return { kind: 'none', reason: 'unlimited' };
  let earliest: BreachEta | null = null;
  if (stalledSeconds !== null) {
    // Certain rather than extrapolated, and independent of the production rate (which may be 0).
    const budgetRecords = (policy.ms / 1000) * flow.productionRate;
    if (stalledSeconds === 0) return { kind: 'breach', seconds: 0, limitedBy: 'time', budgetRecords };
    earliest = { kind: 'breach', seconds: stalledSeconds, limitedBy: 'time', budgetRecords };
  }
  for (const budget of budgets) {
    if (budget.remainingRecords <= 0) {
      return { kind: 'breach', seconds: 0, limitedBy: budget.limitedBy, budgetRecords: budget.budgetRecords };
    }
    if (stalledSeconds !== null && budget.limitedBy === 'time') continue;
    if (flow.lagSlope <= flatSlope) continue;
    const seconds = budget.remainingRecords / flow.lagSlope;
    if (earliest === null || (earliest.kind === 'breach' && seconds < earliest.seconds)) {
      earliest = { kind: 'breach', seconds, limitedBy: budget.limitedBy, budgetRecords: budget.budgetRecords };
    }
  }
  return earliest ?? { kind: 'none', reason: flow.lagSlope < -flatSlope ? 'draining' : 'flat' };
}

export interface PartitionEta {
  readonly topic: string;
  readonly partition: number;
  readonly eta: BreachEta;
}

/** The partition that breaches first, or null when none is on course to breach. */
export function earliestBreach<T extends PartitionEta>(etas: readonly T[]): T | null {
  let first: T | null = null;
  for (const candidate of etas) {
    if (candidate.eta.kind !== 'breach') continue;
    if (first === null || (first.eta.kind === 'breach' && candidate.eta.seconds < first.eta.seconds)) first = candidate;
  }
  return first;
}
