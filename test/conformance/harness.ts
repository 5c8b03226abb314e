/**
 * What a destination provides to run the shared conformance suite (suite.ts) against its real
 * server or emulator. Deliberately small and destination-neutral: the suite builds TableBatch
 * values itself, writes them through the destination's Writer and compares what `readTable`
 * returns with the state it computed, through the canonical forms of canonical.ts.
 */
import type { ColumnSchema, LogicalType, Row, TableSchema, Value } from '../../src/cdc/types.ts';
import type { TargetTable, Writer } from '../../src/writer/types.ts';

export interface PoisonCase {
  readonly description: string;
  readonly column: ColumnSchema;
  /** A value of the column's logical type that the destination rejects. */
  readonly value: Value;
}

export interface ConformanceCapabilities {
  /** Longest table/column name the destination keeps intact, in UTF-8 bytes. */
  readonly maxIdentifierBytes: number;
  /** Values the destination must reject as poison; an empty list is reported, not silently skipped. */
  readonly poisonCases: readonly PoisonCase[];
  /**
   * Golden columns (by name, see golden-values.ts) the destination cannot store faithfully, with
   * the reason, which the suite prints.
   */
  readonly unsupportedGolden?: ReadonlyMap<string, string>;
  /** Maps an expected value to what the destination legitimately stores (e.g. coarser time precision). */
  readonly normaliseExpected?: (type: LogicalType, value: Value) => Value;
  /**
   * Cases the destination's test server cannot run (e.g. an emulator without ALTER TABLE), by the
   * start of the case's title, with the reason. The suite reports them as skipped with the reason;
   * the destination's docs must say the same.
   */
  readonly unsupportedCases?: ReadonlyMap<string, string>;
}

export interface ConformanceHarness {
  readonly name: string;
  readonly capabilities: ConformanceCapabilities;
  /** Called once before any case (e.g. create a unique database). */
  setUp(): Promise<void>;
  /** Called once after every case, also after failures. */
  tearDown(): Promise<void>;
  /** A new, not yet opened writer for this destination; the suite opens and closes it. */
  createWriter(): Writer;
  /**
   * A fresh namespace for TargetTable.namespace derived from `hint` (which may be hostile); the
   * destination may create it now or leave it to the writer, and may sanitise the hint.
   */
  createNamespace(hint: string): Promise<string>;
  dropNamespace(namespace: string): Promise<void>;
  /**
   * Every row of the table, values in the Value representation of src/cdc/types.ts as far as the
   * destination can give them (canonical.ts tolerates textual differences such as '1.50' vs '1.5'
   * or '+00' vs 'Z'). A table that does not exist reads as no rows.
   */
  readTable(table: TargetTable, schema: TableSchema): Promise<readonly Row[]>;
}
