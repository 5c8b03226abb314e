/**
 * The one small interface every destination implements (connectors/<destination>/writer.ts).
 *
 * Contract (the core relies on every point):
 * - A writer turns one TableBatch into the destination's bulk operation and reports what
 *   happened. It never commits Kafka offsets, never sleeps, never retries on its own and never
 *   drops a change silently: the core owns retries, backoff, pausing and dead-lettering.
 * - Idempotent: writing the same batch twice (a replay after a crash) leaves the same state.
 * - A batch is the already-compacted changes of ONE target table: every key appears at most
 *   once, so the order of changes inside a batch does not matter, except that `truncateFirst`
 *   empties the table before any change is applied.
 * - Several batches may be in flight at once (the controller sets the concurrency), but the
 *   core never has two batches touching the same key in flight together.
 * - Whole-batch failures are thrown as SinkError with a class; per-change failures (a bulk API
 *   that accepted some items and rejected others) are returned in WriteResult.failures and
 *   everything not listed there is durably written when write() resolves.
 */
import type { RecordPosition, Row, TableSchema } from '../cdc/types.ts';
import type { SinkError } from '../errors.ts';
import type { Logger } from '../observe/logger.ts';

/** The destination table after the naming rule, e.g. { namespace: 'public', name: 'orders' }. */
export interface TargetTable {
  /** Schema / dataset / index prefix, or null for the destination's default. */
  readonly namespace: string | null;
  readonly name: string;
}

interface RowChangeBase {
  /** Primary-key values in schema.key order. */
  readonly key: Row;
  /**
   * Monotonic source position of the last event folded into this change (LSN when the source
   * has one, otherwise derived from the Kafka position). Writers with external versioning use it.
   */
  readonly version: bigint;
  /** Kafka records compacted into this change; used for dead-lettering and exactly-once. */
  readonly origins: readonly RecordPosition[];
  /** source.ts_ms of the newest event in this change, for end-to-end latency. */
  readonly sourceTsMs: number;
}

export interface UpsertChange extends RowChangeBase {
  readonly kind: 'upsert';
  /**
   * The full row image. Columns whose value is UNCHANGED (or absent) must keep their current
   * value in the target; when the row does not exist yet they are inserted as NULL.
   */
  readonly row: Row;
}

export interface DeleteChange extends RowChangeBase {
  readonly kind: 'delete';
}

export type RowChange = UpsertChange | DeleteChange;

export interface TableBatch {
  readonly table: TargetTable;
  /** The newest schema among the batch's events; older rows may lack newer columns. */
  readonly schema: TableSchema;
  /** Empty the table before applying `changes` (a TRUNCATE arrived in the stream). */
  readonly truncateFirst: boolean;
  /**
   * Kafka records folded into the truncate (the truncate event and the changes it made moot).
   * Empty when truncateFirst is false. Exactly-once writers record these positions too.
   */
  readonly truncateOrigins: readonly RecordPosition[];
  readonly changes: readonly RowChange[];
}

export interface RowFailure {
  readonly change: RowChange;
  readonly error: SinkError;
}

export interface WriteResult {
  /** Changes that were NOT written. Empty when the whole batch is durable. */
  readonly failures: readonly RowFailure[];
}

/**
 * Exactly-once support (optional capability): the writer stores, in the same transaction as the
 * rows, the highest Kafka offset applied per (group, topic, partition, table), guarded by an
 * ownership epoch so that a replica that lost a partition cannot write after the new owner began.
 */
export interface PartitionClaim {
  readonly topic: string;
  readonly partition: number;
  /** The epoch this owner now holds; every later write must present it. */
  readonly epoch: number;
  /** Highest offset already applied, per target table key (`${namespace}.${name}`). */
  readonly appliedOffsets: ReadonlyMap<string, bigint>;
}

/**
 * The table key of PartitionClaim.appliedOffsets: `${namespace}.${name}`, or the bare name when
 * the namespace is null. The core looks claimed offsets up by it; writers store them under it.
 */
export function exactlyOnceTableKey(table: TargetTable): string {
  return table.namespace === null ? table.name : `${table.namespace}.${table.name}`;
}

export interface ExactlyOnceStore {
  claim(group: string, partitions: readonly { topic: string; partition: number }[]): Promise<PartitionClaim[]>;
}

export interface ExactlyOnceContext {
  readonly group: string;
  /** Epoch per `${topic}:${partition}` for every partition that has origins in the batch. */
  readonly epochs: ReadonlyMap<string, number>;
  /**
   * Upper bound per `${topic}:${partition}` on the offset this write may record: the writer
   * records min(highest origin offset of the batch, ceiling), and never lowers a mark already
   * stored (a ceiling below it leaves it as is). A partition without an entry has no bound; absent
   * (the usual case) means no bound at all.
   * Set by the core while it bisects a poison batch: the sub-batches are separate transactions,
   * and a sub-batch's highest offset can lie above offsets of changes of the original batch still
   * to be written (compaction interleaves offsets), which a restart after a crash would skip as
   * applied. The ceiling is the lowest origin offset still unwritten on that partition, minus one
   * (raised to the batch's own truncate positions: src/pipeline/batch-executor.ts says why).
   * The price: a replay after such a crash applies some already-written changes again (the same
   * idempotent upserts and deletes; no change is lost).
   */
  readonly offsetCeilings?: ReadonlyMap<string, bigint>;
}

export interface WriteContext {
  /** Aborted when the service shuts down past its deadline; a writer may stop early. */
  readonly signal: AbortSignal;
  readonly exactlyOnce?: ExactlyOnceContext;
}

export interface Writer {
  /** Create connections, check credentials and the target database exist (fatal if not). */
  open(): Promise<void>;
  write(batch: TableBatch, context: WriteContext): Promise<WriteResult>;
  close(): Promise<void>;
  /** Present only on writers that can store offsets transactionally with the rows. */
  readonly exactlyOnce?: ExactlyOnceStore;
}

export interface WriterDependencies {
  readonly logger: Logger;
  /** The process environment (or a test's), from which the connector parses its own settings. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What connectors/<destination>/index.ts exports as default. */
export interface ConnectorDefinition {
  /** Value of SLUICE_DESTINATION that selects it, e.g. 'postgres'. */
  readonly name: string;
  readonly description: string;
  /**
   * Documents and validates the connector's own env vars (SLUICE_<DEST>_*). Parsing throws
   * ConfigError naming the variable. Secret variables are listed so logs can mask them.
   */
  readonly settings: ConnectorSettings;
  createWriter(dependencies: WriterDependencies): Writer;
}

export interface SettingDoc {
  readonly variable: string;
  readonly description: string;
  readonly default?: string;
  readonly required: boolean;
  readonly secret: boolean;
}

export interface ConnectorSettings {
  readonly docs: readonly SettingDoc[];
  /** Validates the environment; throws ConfigError naming the first bad variable. */
  validate(env: Readonly<Record<string, string | undefined>>): void;
}
