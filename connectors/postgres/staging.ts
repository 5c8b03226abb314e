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

const CHUNK_ROWS = 2_000;

/**
 * The staging plan of one batch. COPY text is produced lazily by `chunks()`, so encoding the
 * next rows overlaps with the server parsing the previous ones; `groups` and `deletes` are
 * complete once `chunks()` has been consumed to the end. An unencodable value throws from
 * `chunks()` (the COPY, and with it the transaction, is then abandoned).
 */
export class StagedBatch {
  /** Batch columns in staging order: index i is staging column c<i>. */
  readonly columns: readonly StagedColumn[];
  readonly keyColumns: readonly StagedColumn[];
  readonly rows: number;
  readonly #batch: TableBatch;
  readonly #isKey: readonly boolean[];
  readonly #groupsBySignature = new Map<string, PresenceGroup>();
  #deletes = 0;
  #complete = false;

  constructor(batch: TableBatch) {
    this.#batch = batch;
    this.columns = batch.schema.columns.map((column, index) => ({ name: column.name, index }));
    const byName = new Map(this.columns.map((column) => [column.name, column]));
    this.keyColumns = batch.schema.key.map((name) => {
      const column = byName.get(name);
      if (column === undefined) throw new UnencodableValueError(`key column ${JSON.stringify(name)} is not among the schema's columns`);
      return column;
    });
    this.#isKey = batch.schema.columns.map((column) => batch.schema.key.includes(column.name));
    this.rows = batch.changes.length;
  }

  get groups(): readonly PresenceGroup[] {
    this.#assertComplete();
    return [...this.#groupsBySignature.values()];
  }

  get deletes(): number {
    this.#assertComplete();
    return this.#deletes;
  }

  *chunks(): Generator<string> {
    const schemaColumns = this.#batch.schema.columns;
    let pending: string[] = [];
    for (const change of this.#batch.changes) {
      const encoded = change.kind === 'delete' ? encodeDelete(schemaColumns, this.#isKey, change) : encodeUpsert(schemaColumns, this.#isKey, change);
      encoded.fields.push(String(this.#groupOf(encoded.signature)));
      pending.push(`${encoded.fields.join('\t')}\n`);
      if (pending.length >= CHUNK_ROWS) {
        yield pending.join('');
        pending = [];
      }
    }
    if (pending.length > 0) yield pending.join('');
    this.#complete = true;
  }

  #groupOf(signature: string | null): number {
    if (signature === null) {
      this.#deletes += 1;
      return deleteGroup;
    }
    let group = this.#groupsBySignature.get(signature);
    if (group === undefined) {
      group = { id: this.#groupsBySignature.size, columns: this.columns.filter((_, index) => signature[index] === '1') };
      this.#groupsBySignature.set(signature, group);
    }
    return group.id;
  }

  #assertComplete(): void {
    if (!this.#complete) throw new Error('StagedBatch: consume chunks() before reading groups or deletes');
  }
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
