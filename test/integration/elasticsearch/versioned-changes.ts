/**
 * Expected states and the retry loop for the writer's integration tests. The expected state is
 * computed from the changes (applied in version order, as the source committed them), never typed
 * in; the retry loop stands in for the core: it re-submits only the changes a write reported as
 * failed until none are left.
 */
import { UNCHANGED, type TableSchema, type Value } from '../../../src/cdc/types.ts';
import type { RowChange, RowFailure, TableBatch, WriteContext, Writer } from '../../../src/writer/types.ts';
import type { SeededRandom } from '../../conformance/random.ts';

/** Document id (the key's text) → column values. */
export type ExpectedState = Map<string, Record<string, Value>>;

export function stateOf(schema: TableSchema, changes: readonly RowChange[]): ExpectedState {
  const state: ExpectedState = new Map();
  for (const change of [...changes].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))) {
    const id = schema.key.map((name) => String(change.key.get(name))).join(',');
    if (change.kind === 'delete') {
      state.delete(id);
      continue;
    }
    const previous = state.get(id) ?? {};
    const next: Record<string, Value> = {};
    for (const column of schema.columns) {
      const value = change.row.get(column.name);
      next[column.name] = value === undefined || value === UNCHANGED ? (previous[column.name] ?? null) : value;
    }
    state.set(id, next);
  }
  return state;
}

/** The newest change of each key. */
export function newestChanges(schema: TableSchema, changes: readonly RowChange[]): Map<string, RowChange> {
  const newest = new Map<string, RowChange>();
  for (const change of changes) {
    const id = schema.key.map((name) => String(change.key.get(name))).join(',');
    const current = newest.get(id);
    if (current === undefined || current.version < change.version) newest.set(id, change);
  }
  return newest;
}

export function shuffled<T>(items: readonly T[], random: SeededRandom): T[] {
  const result = [...items];
  for (let index = result.length - 1; index > 0; index--) {
    const other = random.integer(0, index);
    [result[index], result[other]] = [result[other] as T, result[index] as T];
  }
  return result;
}

export interface RetryOutcome {
  readonly attempts: number;
  readonly firstFailureCount: number;
  readonly retriedChanges: number;
}

/**
 * Writes `batch`, then re-writes only its failed changes until every change is written. Each
 * round's failures go to `onFailures` first (assertions, or lifting a block). Bounded: a change
 * still failing after `maxAttempts` rounds fails the test.
 */
export async function retryUntilWritten(
  writer: Writer,
  batch: TableBatch,
  context: WriteContext,
  onFailures: (failures: readonly RowFailure[]) => Promise<void>,
  maxAttempts = 200,
): Promise<RetryOutcome> {
  let pending: readonly RowChange[] = batch.changes;
  let attempts = 0;
  let firstFailureCount = -1;
  let retriedChanges = 0;
  while (pending.length > 0) {
    if (attempts >= maxAttempts) throw new Error(`${pending.length} changes still failing after ${maxAttempts} attempts`);
    attempts++;
    if (attempts > 1) retriedChanges += pending.length;
    const result = await writer.write({ ...batch, changes: pending, truncateFirst: attempts === 1 && batch.truncateFirst }, context);
    if (firstFailureCount < 0) firstFailureCount = result.failures.length;
    if (result.failures.length > 0) await onFailures(result.failures);
    pending = result.failures.map((failure) => failure.change);
  }
  return { attempts, firstFailureCount, retriedChanges };
}
