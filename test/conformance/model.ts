/**
 * The expected state of a table, computed by applying batches with the semantics of the
 * Writer contract (src/writer/types.ts): truncateFirst empties first; an upsert sets the columns
 * it carries, keeps UNCHANGED/absent ones on an existing row and makes them NULL on a new row; a
 * delete removes the key.
 */
import { type LogicalType, type TableSchema, UNCHANGED, type Value } from '../../src/cdc/types.ts';
import type { TableBatch } from '../../src/writer/types.ts';
import { canonical } from './canonical.ts';

export class TableModel {
  readonly #rows = new Map<string, Map<string, Value>>();

  apply(batch: TableBatch): void {
    if (batch.truncateFirst) this.#rows.clear();
    for (const change of batch.changes) {
      const key = canonicalKey(batch.schema, (name) => change.key.get(name));
      if (change.kind === 'delete') {
        this.#rows.delete(key);
        continue;
      }
      const existing = this.#rows.get(key);
      const next = new Map(existing ?? []);
      for (const column of batch.schema.columns) {
        const value = change.row.get(column.name);
        if (value === undefined || value === UNCHANGED) {
          if (existing === undefined) next.set(column.name, null);
        } else {
          next.set(column.name, value);
        }
      }
      this.#rows.set(key, next);
    }
  }

  /** Canonical rows for `schema` (columns the model never saw are NULL), sorted by key. */
  expected(schema: TableSchema, normalise?: ValueNormaliser): Record<string, string | null>[] {
    return canonicalRows(schema, [...this.#rows.values()], normalise);
  }

  get size(): number {
    return this.#rows.size;
  }
}

export function canonicalKey(schema: TableSchema, columnValue: (name: string) => Value | undefined): string {
  const types = new Map(schema.columns.map((column) => [column.name, column.type]));
  return JSON.stringify(
    schema.key.map((name) => {
      const type = types.get(name);
      return type === undefined ? null : canonical(type, columnValue(name));
    }),
  );
}

export type ValueNormaliser = (type: LogicalType, value: Value) => Value;

export function canonicalRows(
  schema: TableSchema,
  rows: readonly ReadonlyMap<string, Value>[],
  normalise?: ValueNormaliser,
): Record<string, string | null>[] {
  const canonicalised = rows.map((row) => {
    const record: Record<string, string | null> = {};
    for (const column of schema.columns) {
      const value = row.get(column.name) ?? null;
      record[column.name] = canonical(column.type, normalise === undefined ? value : normalise(column.type, value));
    }
    return { key: canonicalKey(schema, (name) => row.get(name)), record };
  });
  canonicalised.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return canonicalised.map((entry) => entry.record);
}
