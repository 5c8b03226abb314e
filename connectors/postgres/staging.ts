/**
 * Turns a TableBatch into what one write transaction needs: the COPY text of the staging table
 * and the presence groups of the upserts.
 *
 * Presence groups are how UNCHANGED (TOAST) and absent columns are honoured: rows are grouped
 * by the set of columns they carry, and each group gets one upsert that inserts and updates
 * exactly those columns. A column outside the group is therefore left as it is on update and
 * NULL (its default) on insert. Real batches have very few groups (usually one: full rows; a
 * second when some updates carry TOAST placeholders), so this costs one extra scan of the
 * staging table per extra group. docs/postgres.md explains why this was chosen over per-column
 * presence flags.
 */
import { type ColumnSchema, UNCHANGED, type Value } from '../../src/cdc/types.ts';
import type { RowChange, TableBatch } from '../../src/writer/types.ts';
import { type StagedColumn, deleteGroup } from './statements.ts';
import { UnencodableValueError, copyField } from './type-map.ts';

export interface PresenceGroup {
  readonly id: number;
  /** Staged columns this group's rows carry (key columns always included), in column order. */
  readonly columns: readonly StagedColumn[];
}

export interface StagedBatch {
  /** Batch columns in staging order: index i is staging column c<i>. */
  readonly columns: readonly StagedColumn[];
  readonly keyColumns: readonly StagedColumn[];
  readonly groups: readonly PresenceGroup[];
  readonly deletes: number;
  readonly rows: number;
  /** COPY text, in chunks of bounded size. */
  readonly chunks: readonly string[];
}

const CHUNK_ROWS = 2_000;

export function stageBatch(batch: TableBatch): StagedBatch {
  const schemaColumns = batch.schema.columns;
  const columns: StagedColumn[] = schemaColumns.map((column, index) => ({ name: column.name, index }));
  const byName = new Map(columns.map((column) => [column.name, column]));
  const keyColumns = batch.schema.key.map((name) => {
    const column = byName.get(name);
    if (column === undefined) throw new UnencodableValueError(`key column ${JSON.stringify(name)} is not among the schema's columns`);
    return column;
  });
  const isKey = schemaColumns.map((column) => batch.schema.key.includes(column.name));

  const groupsBySignature = new Map<string, PresenceGroup>();
  const chunks: string[] = [];
  let pending: string[] = [];
  let deletes = 0;

  for (const change of batch.changes) {
    const encoded = change.kind === 'delete' ? encodeDelete(schemaColumns, isKey, change) : encodeUpsert(schemaColumns, isKey, change);
    let group = deleteGroup;
    if (encoded.signature === null) {
      deletes += 1;
    } else {
      let known = groupsBySignature.get(encoded.signature);
      if (known === undefined) {
        known = { id: groupsBySignature.size, columns: columns.filter((_, index) => encoded.signature?.[index] === '1') };
        groupsBySignature.set(encoded.signature, known);
      }
      group = known.id;
    }
    encoded.fields.push(String(group));
    pending.push(`${encoded.fields.join('\t')}\n`);
    if (pending.length >= CHUNK_ROWS) {
      chunks.push(pending.join(''));
      pending = [];
    }
  }
  if (pending.length > 0) chunks.push(pending.join(''));
  return { columns, keyColumns, groups: [...groupsBySignature.values()], deletes, rows: batch.changes.length, chunks };
}

interface EncodedRow {
  readonly fields: string[];
  /** '1'/'0' per column for an upsert; null for a delete. */
  readonly signature: string | null;
}

function keyValue(change: RowChange, column: ColumnSchema, fromRow: Value | undefined): Value {
  const value = fromRow === undefined || fromRow === UNCHANGED ? change.key.get(column.name) : fromRow;
  if (value === undefined || value === null || value === UNCHANGED) {
    throw new UnencodableValueError(`key column ${JSON.stringify(column.name)} has no value`);
  }
  return value;
}

function encodeDelete(columns: readonly ColumnSchema[], isKey: readonly boolean[], change: RowChange): EncodedRow {
  const fields = columns.map((column, index) => (isKey[index] ? copyField(column.type, keyValue(change, column, undefined)) : '\\N'));
  return { fields, signature: null };
}

function encodeUpsert(columns: readonly ColumnSchema[], isKey: readonly boolean[], change: RowChange & { kind: 'upsert' }): EncodedRow {
  const fields: string[] = [];
  let signature = '';
  columns.forEach((column, index) => {
    const value = change.row.get(column.name);
    if (isKey[index]) {
      fields.push(copyField(column.type, keyValue(change, column, value)));
      signature += '1';
    } else if (value === undefined || value === UNCHANGED) {
      fields.push('\\N');
      signature += '0';
    } else {
      fields.push(copyField(column.type, value));
      signature += '1';
    }
  });
  return { fields, signature };
}
