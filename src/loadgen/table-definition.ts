/**
 * What the generator knows about one source table: its columns (with Debezium's encoding per
 * type), its primary key, how fresh values are generated, and the canonical key text used as
 * the expected state's map key.
 */
import type { ColumnSchema, Row, TableSchema, Value } from '../cdc/types.ts';
import type { ColumnType } from './column-types.ts';
import type { Prng } from './prng.ts';
import { canonicalValueText } from './canonical-text.ts';

export interface GenerationContext {
  /** Source commit time of the event being generated, microseconds since the epoch. */
  readonly nowMicros: number;
  /** Pre-generated random material for large (TOAST-sized) values. */
  readonly blobs: BlobPool;
}

export type ValueGenerator = (rng: Prng, context: GenerationContext) => Value;

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  /**
   * Values are large and stored out of line: an update that does not change the column makes
   * Debezium send the TOAST placeholder instead of the value (REPLICA IDENTITY DEFAULT).
   */
  readonly toasted: boolean;
  /** A fresh value for a non-key column. */
  readonly generate: ValueGenerator;
  /** Probability that an update assigns a new value to this (non-key) column. */
  readonly updateChance: number;
  /**
   * JSON text of the column's default as Debezium puts it in the field schema ("default"), e.g.
   * '0' for a SERIAL column; the generated shapes have no column defaults.
   */
  readonly defaultJson?: string;
}

export type ShapeName = 'narrow' | 'measurements' | 'wide' | 'toasty' | 'composite';

export interface TableDefinition {
  readonly shape: ShapeName;
  /** source.schema */
  readonly schema: string;
  /** source.table; unique within a workload */
  readonly name: string;
  readonly columns: readonly ColumnDefinition[];
  /** Primary-key column names, in key order. */
  readonly key: readonly string[];
  /** Key column values (in key order) of the row with key sequence number `sequence`; distinct per sequence. */
  keyValues(sequence: number): Value[];
}

export interface BlobPool {
  text(rng: Prng, minLength: number, maxLength: number): string;
  bytes(rng: Prng, minLength: number, maxLength: number): Uint8Array;
}

/**
 * The expected state's key for a row: the canonical text of each key column (see
 * canonical-text.ts); a single-column key is that text, a composite key the JSON array of the
 * texts, e.g. `["7","5000000012"]`.
 */
export function canonicalKey(table: TableDefinition, row: Row): string {
  if (table.key.length === 1) {
    const name = table.key[0] as string;
    return canonicalValueText(columnOf(table, name).type.logical, row.get(name) ?? null) ?? '';
  }
  return JSON.stringify(table.key.map((name) => canonicalValueText(columnOf(table, name).type.logical, row.get(name) ?? null)));
}

export function columnOf(table: TableDefinition, name: string): ColumnDefinition {
  const column = table.columns.find((candidate) => candidate.name === name);
  if (!column) throw new Error(`table ${table.name} has no column ${name}`);
  return column;
}

/** The table as src/cdc/types.ts describes it (what a decoder should produce for its events). */
export function tableSchemaOf(table: TableDefinition): TableSchema {
  const columns: ColumnSchema[] = table.columns.map((column) => ({
    name: column.name,
    type: column.type.logical,
    optional: column.nullable,
  }));
  return {
    columns,
    key: table.key,
    fingerprint: `${table.schema}.${table.name}:${table.columns.map((column) => `${column.name}/${column.type.sql}/${column.nullable ? 'null' : 'not null'}`).join(',')}`,
  };
}

/** CREATE TABLE for the source shape (for baselines that load the same rows without sluice). */
export function createTableSql(table: TableDefinition, target: { schema: string; table: string } = { schema: table.schema, table: table.name }): string {
  const columns = table.columns.map((column) => `${quoteIdent(column.name)} ${column.type.sql}${column.nullable ? '' : ' NOT NULL'}`);
  columns.push(`PRIMARY KEY (${table.key.map(quoteIdent).join(', ')})`);
  return `CREATE TABLE ${quoteIdent(target.schema)}.${quoteIdent(target.table)} (${columns.join(', ')})`;
}

export function quoteIdent(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
