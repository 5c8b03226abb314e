/**
 * Folds the change events of one table into at most one change per primary key, in source
 * order, and cuts them into TableBatches. Rules (each is tested in test/unit/pipeline):
 * - upsert after upsert: the newer row wins; columns the newer event did not know (UNCHANGED or
 *   absent, e.g. TOAST) are filled from the older event's known values;
 * - delete after anything: delete;
 * - upsert after delete: the row is re-created, so columns it does not know become NULL rather
 *   than "keep the target's value" (the target's old row is gone);
 * - an update that moved the key: a delete of the old key, then the upsert of the new one;
 * - a truncate is handled by the caller (it empties every lane of the table first).
 * Every Kafka record folded into a change is kept in `origins`, so its offset is released only
 * when the change that carries it is durable.
 */
import type { ChangeEvent, RecordPosition, Row, TableSchema, Value } from '../cdc/types.ts';
import { UNCHANGED } from '../cdc/types.ts';
import type { RowChange, TableBatch, TargetTable } from '../writer/types.ts';

interface PendingChange {
  kind: 'upsert' | 'delete';
  key: Row;
  row: Row | null;
  version: bigint;
  /** Source LSN of the newest event folded in, when the source has one. */
  lsn: bigint | null;
  sourceTsMs: number;
  origins: RecordPosition[];
}

export class TableCompactor {
  private readonly pending = new Map<string, PendingChange>();
  private schema: TableSchema | null = null;
  private bytes = 0;

  get size(): number {
    return this.pending.size;
  }

  /** Record bytes of the events folded in (for flush decisions; accounting lives elsewhere). */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Adds an upsert or delete (truncates are handled by the caller, per table). */
  add(event: ChangeEvent, encodedKey: string, key: Row, kind: 'upsert' | 'delete'): void {
    if (event.kind === 'truncate') throw new Error('truncate events are handled by the caller, not compacted');
    this.schema = event.schema;
    this.bytes += event.sizeBytes;
    const version = event.source.lsn ?? event.position.offset;
    const existing = this.pending.get(encodedKey);
    const row = kind === 'upsert' && event.kind === 'upsert' ? event.row : null;
    if (existing === undefined) {
      this.pending.set(encodedKey, {
        kind,
        key,
        row,
        version,
        lsn: event.source.lsn,
        sourceTsMs: event.source.tsMs,
        origins: [event.position],
      });
      return;
    }
    existing.origins.push(event.position);
    // biome-ignore lint/complexity/useMathMinMax: versions are bigint, which Math.max does not take
    existing.version = version > existing.version ? version : existing.version;
    existing.sourceTsMs = Math.max(existing.sourceTsMs, event.source.tsMs);
    if (event.source.lsn !== null) existing.lsn = event.source.lsn;
    existing.key = key;
    if (kind === 'delete') {
      existing.kind = 'delete';
      existing.row = null;
      return;
    }
    if (existing.kind === 'delete') {
      existing.kind = 'upsert';
      existing.row = row === null ? null : knownOrNull(row, event.schema);
      return;
    }
    existing.row = row === null || existing.row === null ? row : mergeKnownColumns(existing.row, row);
  }

  /**
   * Takes up to `maxRows` changes out as one batch, skipping keys in `busyKeys` (a batch with
   * those keys is still in flight: their newer changes wait, so per-key order holds). Returns
   * the batch and the keys it took, or null when nothing can be taken.
   */
  drain(table: TargetTable, maxRows: number, busyKeys: ReadonlySet<string>): { batch: TableBatch; keys: string[] } | null {
    if (this.pending.size === 0 || this.schema === null) return null;
    const changes: RowChange[] = [];
    const keys: string[] = [];
    for (const [encodedKey, change] of this.pending) {
      if (changes.length >= maxRows) break;
      if (busyKeys.has(encodedKey)) continue;
      this.pending.delete(encodedKey);
      changes.push(toRowChange(change));
      keys.push(encodedKey);
    }
    if (this.pending.size === 0) this.bytes = 0;
    if (changes.length === 0) return null;
    return { batch: { table, schema: this.schema, truncateFirst: false, truncateOrigins: [], changes }, keys };
  }

  /**
   * For exactly-once delivery, with no batch of the table in flight: takes up to `maxRows`
   * changes like drain, then also every pending change with an origin at or below the batch's
   * highest origin offset in that origin's partition (repeated until nothing more qualifies), so
   * the batch may exceed `maxRows`. Exactly-once offsets are high-water marks per (partition,
   * table) and records at or below them are skipped on replay, while compaction folds records of
   * distant offsets into one change (a key updated at offsets 100 and 900 is one change): once
   * such a batch is durable, every record of the table up to its mark is durable.
   */
  drainCovering(table: TargetTable, maxRows: number): { batch: TableBatch; keys: string[] } | null {
    if (this.pending.size === 0 || this.schema === null) return null;
    const changes: RowChange[] = [];
    const keys: string[] = [];
    const highest = new Map<string, bigint>();
    const take = (encodedKey: string, change: PendingChange): void => {
      this.pending.delete(encodedKey);
      changes.push(toRowChange(change));
      keys.push(encodedKey);
      for (const origin of change.origins) {
        const partition = `${origin.topic}\u0000${origin.partition}`;
        const known = highest.get(partition);
        if (known === undefined || origin.offset > known) highest.set(partition, origin.offset);
      }
    };
    for (const [encodedKey, change] of this.pending) {
      if (changes.length >= maxRows) break;
      take(encodedKey, change);
    }
    for (let grew = true; grew && this.pending.size > 0; ) {
      grew = false;
      for (const [encodedKey, change] of this.pending) {
        const covered = change.origins.some((origin) => {
          const mark = highest.get(`${origin.topic}\u0000${origin.partition}`);
          return mark !== undefined && origin.offset <= mark;
        });
        if (covered) {
          take(encodedKey, change);
          grew = true;
        }
      }
    }
    if (this.pending.size === 0) this.bytes = 0;
    return { batch: { table, schema: this.schema, truncateFirst: false, truncateOrigins: [], changes }, keys };
  }

  /**
   * Drops the pending changes a truncate made moot and returns their origins (released when the
   * truncate is durable). With the truncate's source LSN, only changes from before it go;
   * without one, everything pending goes.
   */
  discard(truncateLsn: bigint | null = null): RecordPosition[] {
    const origins: RecordPosition[] = [];
    for (const [encodedKey, change] of this.pending) {
      if (truncateLsn !== null && change.lsn !== null && change.lsn > truncateLsn) continue;
      origins.push(...change.origins);
      this.pending.delete(encodedKey);
    }
    if (this.pending.size === 0) this.bytes = 0;
    return origins;
  }
}

/** Written out rather than spread from a shared base: it runs once per drained row. */
function toRowChange(change: PendingChange): RowChange {
  const { key, version, origins, sourceTsMs } = change;
  if (change.kind === 'delete' || change.row === null) return { kind: 'delete', key, version, origins, sourceTsMs };
  return { kind: 'upsert', row: change.row, key, version, origins, sourceTsMs };
}

/** The newer row, with columns it does not know taken from the older row's known values. */
export function mergeKnownColumns(older: Row, newer: Row): Row {
  let merged: Map<string, Value> | null = null;
  for (const [column, olderValue] of older) {
    if (olderValue === UNCHANGED) continue;
    const newerValue = newer.get(column);
    if (newerValue === undefined || newerValue === UNCHANGED) {
      merged ??= new Map(newer);
      merged.set(column, olderValue);
    }
  }
  return merged ?? newer;
}

/** A re-created row: columns the event did not know are NULL, never "keep the old value". */
function knownOrNull(row: Row, schema: TableSchema): Row {
  let result: Map<string, Value> | null = null;
  for (const column of schema.columns) {
    const value = row.get(column.name);
    if (value === undefined || value === UNCHANGED) {
      result ??= new Map(row);
      result.set(column.name, null);
    }
  }
  return result ?? row;
}
