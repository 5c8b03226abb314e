/**
 * The decoded form of a Debezium change event: what the decoder produces and what the
 * pipeline batches, compacts and hands to writers. Every writer reads values through the
 * column's LogicalType, so this file is the contract between decoding and every destination.
 *
 * Value representation is chosen so that nothing passes through a JS float that was not a
 * float at the source:
 *   boolean                      → boolean
 *   int8 / int16 / int32         → number
 *   int64                        → bigint
 *   float32 / float64            → number (NaN and ±Infinity allowed)
 *   decimal / variable-decimal   → string, canonical decimal text ("-12.50", "1E+3" never)
 *   string / enum / uuid / xml   → string
 *   json                         → string, the JSON text exactly as the source sent it
 *   bytes                        → Uint8Array
 *   bits                         → string of '0'/'1', most significant bit first
 *   date                         → string 'YYYY-MM-DD' (or 'infinity' / '-infinity')
 *   time                         → string 'HH:MM:SS[.fraction]' (fraction digits = precision)
 *   timetz                       → string 'HH:MM:SS[.fraction]Z' (Debezium normalises to UTC)
 *   timestamp (no zone)          → string 'YYYY-MM-DDTHH:MM:SS[.fraction]' (or 'infinity' / '-infinity')
 *   timestamptz                  → string ISO-8601 with offset, as Debezium sent it (UTC 'Z')
 *   interval                     → string ISO-8601 duration ('P1Y2M3DT4H5M6.789S'), exact
 *   array                        → readonly Value[] of the element type
 *   struct (unknown/geometry...) → string, JSON text of the struct
 *   UNCHANGED                    → the column's value is not known (TOAST placeholder); the
 *                                  target column must be left as it is, never overwritten.
 */

/** Marks a column whose value Debezium did not send (unchanged TOAST): leave the target as is. */
export const UNCHANGED: unique symbol = Symbol.for('sluice.unchanged');
export type Unchanged = typeof UNCHANGED;

export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly Value[]
  | Unchanged;

export type LogicalType =
  | { readonly kind: 'boolean' }
  | { readonly kind: 'int8' }
  | { readonly kind: 'int16' }
  | { readonly kind: 'int32' }
  | { readonly kind: 'int64' }
  | { readonly kind: 'float32' }
  | { readonly kind: 'float64' }
  /** Fixed scale (org.apache.kafka.connect.data.Decimal); precision when the source told us. */
  | { readonly kind: 'decimal'; readonly scale: number; readonly precision?: number }
  /** io.debezium.data.VariableScaleDecimal: each value carries its own scale. */
  | { readonly kind: 'variable-decimal' }
  | { readonly kind: 'string'; readonly maxLength?: number }
  | { readonly kind: 'enum'; readonly allowed?: readonly string[] }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'json' }
  | { readonly kind: 'xml' }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'bits'; readonly length: number }
  | { readonly kind: 'date' }
  /** precision = fractional-second digits the source carries: 3 (Time), 6 (MicroTime), 9 (NanoTime). */
  | { readonly kind: 'time'; readonly precision: 3 | 6 | 9 }
  | { readonly kind: 'timetz' }
  | { readonly kind: 'timestamp'; readonly precision: 3 | 6 | 9 }
  | { readonly kind: 'timestamptz' }
  | { readonly kind: 'interval' }
  | { readonly kind: 'array'; readonly element: LogicalType }
  | { readonly kind: 'struct' };

export type LogicalKind = LogicalType['kind'];

export interface ColumnSchema {
  readonly name: string;
  readonly type: LogicalType;
  readonly optional: boolean;
  /** The source column type when Debezium propagates it (column.propagate.source.type), e.g. 'NUMERIC'. */
  readonly sourceType?: string;
}

/** The shape of one table version. `key` lists the primary-key column names in key order. */
export interface TableSchema {
  readonly columns: readonly ColumnSchema[];
  readonly key: readonly string[];
  /**
   * Stable identity of this column set (names, types, optionality). Equal fingerprints mean
   * writers can reuse DDL checks and prepared statements.
   */
  readonly fingerprint: string;
}

/** Column values by name. A column absent from a row is treated like UNCHANGED on update. */
export type Row = ReadonlyMap<string, Value>;

/** Where the source table lives, as Debezium named it (source.schema / source.table), or the topic. */
export interface SourceTable {
  readonly database: string | null;
  readonly schema: string | null;
  readonly table: string;
}

/** Where a record sits in Kafka. Offsets are int64 at the broker; bigint keeps them exact. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

export interface SourceInfo {
  /** source.ts_ms: when the change was committed at the source database. */
  readonly tsMs: number;
  /** source.lsn (PostgreSQL) or another monotonic position when the connector provides one. */
  readonly lsn: bigint | null;
  readonly txId: bigint | null;
  /** true while Debezium is snapshotting (op = r or source.snapshot = true/last). */
  readonly snapshot: boolean;
}

export type DebeziumOp = 'c' | 'u' | 'd' | 'r' | 't';

interface ChangeEventBase {
  readonly sourceTable: SourceTable;
  readonly schema: TableSchema;
  readonly source: SourceInfo;
  readonly position: RecordPosition;
  /** Bytes of the raw Kafka record (key + value), for memory accounting. */
  readonly sizeBytes: number;
}

/** A create, update or snapshot read: the row should exist afterwards with these values. */
export interface UpsertEvent extends ChangeEventBase {
  readonly kind: 'upsert';
  readonly op: 'c' | 'u' | 'r';
  /** Primary-key values (from the message key), in schema.key order. */
  readonly key: Row;
  /** The `after` image. May contain UNCHANGED for TOAST columns. */
  readonly row: Row;
  /** Set when an update moved the row to a new key: the row under this old key must go. */
  readonly previousKey: Row | null;
}

export interface DeleteEvent extends ChangeEventBase {
  readonly kind: 'delete';
  readonly op: 'd';
  readonly key: Row;
}

export interface TruncateEvent extends ChangeEventBase {
  readonly kind: 'truncate';
  readonly op: 't';
}

export type ChangeEvent = UpsertEvent | DeleteEvent | TruncateEvent;

/**
 * What the decoder returns for one Kafka record. Tombstones (null value after a delete) and
 * heartbeat/transaction-metadata records carry no change and are acknowledged as `skip`.
 */
export type DecodeResult =
  | { readonly kind: 'change'; readonly event: ChangeEvent }
  | { readonly kind: 'skip'; readonly reason: 'tombstone' | 'heartbeat' | 'schema-change' | 'other' };
