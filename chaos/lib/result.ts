/**
 * What every fault reports (the figures, snake_case as they appear in
 * bench/results/chaos.json) and the named checks that decide whether it passed.
 *
 * Definitions, the same for every fault:
 * - produced: records the fault put on the source topics (tombstones included).
 * - written: records whose changes sluice made durable: committed records minus dead-lettered
 *   ones (tombstones and other skipped records count here: they needed no write).
 * - dead_lettered: records on the dead-letter topic.
 * - lost: rows of the expected final state missing from the target or different there, plus
 *   records neither committed nor dead-lettered at the end. Must be 0.
 * - duplicated_in_final_state: rows in the target that the expected state does not have (and,
 *   where a row-effect audit runs, row images applied twice in exactly-once mode).
 * - time_to_recover_s: from the end of the fault (service restarted, destination or broker
 *   back) to the moment sluice had caught up (lag 0 / everything committed); null when the
 *   fault has no recovery phase.
 */
import type { VerifyReport } from '../../src/loadgen/verify-postgres.ts';

export interface FaultCounts {
  readonly produced: number;
  readonly written: number;
  readonly dead_lettered: number;
  readonly lost: number;
  readonly duplicated_in_final_state: number;
  readonly time_to_recover_s: number | null;
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface FaultResult extends FaultCounts {
  readonly fault: string;
  readonly size: FaultSize;
  readonly passed: boolean;
  readonly checks: readonly Check[];
  /** Fault-specific measurements (kills, pauses seen, memory peak …). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly seconds: number;
}

/** `ci`: the small version `npm test` runs; `full`: the size `npm run chaos` runs. */
export type FaultSize = 'ci' | 'full';

/**
 * The longest wait of one step. At CI size it stays well inside the test runner's per-file limit
 * (600 s), so a fault that does not recover fails with its own description (sluice's events and
 * output) rather than being cancelled by the runner without one.
 */
export function waitLimitMs(size: FaultSize, fullSizeMs: number): number {
  return size === 'ci' ? Math.min(fullSizeMs, 300_000) : fullSizeMs;
}

export interface FaultContext {
  readonly size: FaultSize;
  readonly seed: number;
  /** Progress lines (stderr for the runner, diagnostics for the tests). */
  readonly log: (message: string) => void;
}

export interface Fault {
  readonly name: string;
  readonly description: string;
  run(context: FaultContext): Promise<FaultResult>;
}

/** Collects checks and figures while a fault runs; `finish` computes `passed`. */
export class FaultReport {
  private readonly checks: Check[] = [];
  private readonly started = performance.now();
  readonly details: Record<string, unknown> = {};

  constructor(
    private readonly fault: string,
    private readonly context: FaultContext,
  ) {}

  check(name: string, ok: boolean, detail: string): boolean {
    this.checks.push({ name, ok, detail });
    this.context.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
    return ok;
  }

  finish(counts: FaultCounts): FaultResult {
    this.check('nothing lost', counts.lost === 0, `lost = ${counts.lost}`);
    return {
      fault: this.fault,
      size: this.context.size,
      ...counts,
      passed: this.checks.every((check) => check.ok),
      checks: [...this.checks],
      details: this.details,
      seconds: Math.round((performance.now() - this.started) / 100) / 10,
    };
  }
}

export function failedChecks(result: FaultResult): string {
  return result.checks
    .filter((check) => !check.ok)
    .map((check) => `${check.name}: ${check.detail}`)
    .join('; ');
}

/** Seconds to one decimal, as reported. */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

/** Counts of a verification, and its first differences (table, key, columns) when there are any. */
export function describeVerification(report: VerifyReport): string {
  const counts = `${report.missing} missing, ${report.extra} extra, ${report.different} different`;
  if (report.equal) return counts;
  return `${counts}; first: ${JSON.stringify(report.samples.slice(0, 5))}`;
}
