/**
 * Exactly-once support: Kafka offsets stored in PostgreSQL in the same transaction as the rows,
 * fenced by a per-partition ownership epoch.
 *
 *   sluice_epochs (group_id, topic, partition) → epoch
 *   sluice_offsets(group_id, topic, partition, table_key) → applied_offset, epoch
 *
 * claim() bumps the epoch of each partition (a new owner) and returns the applied offsets; the
 * claim's UPDATE waits for the share locks that in-flight writes of the previous owner hold on
 * the epoch rows. A write locks its partitions' epoch rows FOR SHARE, compares them with the
 * epochs it was given and records the highest origin offset per (partition, table) before the
 * same COMMIT as its rows: either both are durable or neither is, and an owner that lost a
 * partition can never commit after the new owner claimed it.
 *
 * Contract for the core: applied_offset is a high-water mark per (partition, table), so for a
 * given partition and table the core must not let a later batch commit while an earlier one is
 * still in flight (or must not skip offsets below the mark that were never applied).
 * The same holds inside one batch that the core splits (bisecting a poison batch writes its
 * halves as separate transactions): the core then passes context.offsetCeilings, and the mark
 * recorded for a partition is min(highest origin offset, ceiling), so it stays below every change
 * of the original batch not yet written. GREATEST in the SQL keeps a ceiling below the stored mark
 * from lowering it. A replay after a crash between the halves re-applies some changes already
 * written (idempotent upserts and deletes): duplicate effects, never lost ones.
 */
import type pg from 'pg';
import { SinkError } from '../../src/errors.ts';
import { type ExactlyOnceContext, type ExactlyOnceStore, exactlyOnceTableKey, type PartitionClaim, type TableBatch, type TargetTable } from '../../src/writer/types.ts';
import { inTransaction } from './connection.ts';
import { toSinkError } from './errors.ts';
import {
  advisoryLockSql,
  appliedOffsetsSql,
  claimEpochsSql,
  createEpochsTableSql,
  createOffsetsTableSql,
  createSchemaSql,
  lockEpochsSql,
  recordOffsetsSql,
} from './statements.ts';

function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

function sortedDistinct(partitions: readonly PartitionRef[]): PartitionRef[] {
  const unique = new Map(partitions.map((ref) => [partitionKey(ref.topic, ref.partition), ref]));
  return [...unique.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

export class PostgresOffsetStore implements ExactlyOnceStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  #tablesReady: Promise<void> | null = null;

  constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#schema = schema;
  }

  /** Creates the schema and the two tables once per process (idempotent across replicas). */
  ensureTables(): Promise<void> {
    if (this.#tablesReady === null) {
      this.#tablesReady = this.#createTables().catch((error: unknown) => {
        this.#tablesReady = null;
        throw toSinkError(error, 'creating the exactly-once tables');
      });
    }
    return this.#tablesReady;
  }

  #createTables(): Promise<void> {
    return inTransaction(this.#pool, async (client) => {
      await client.query(advisoryLockSql, [`sluice.ddl.schema:${this.#schema}`]);
      await client.query(createSchemaSql(this.#schema));
      await client.query(createEpochsTableSql(this.#schema));
      await client.query(createOffsetsTableSql(this.#schema));
    });
  }

  async claim(group: string, partitions: readonly PartitionRef[]): Promise<PartitionClaim[]> {
    const refs = sortedDistinct(partitions);
    if (refs.length === 0) return [];
    await this.ensureTables();
    const topics = refs.map((ref) => ref.topic);
    const numbers = refs.map((ref) => ref.partition);
    try {
      const [epochs, offsets] = await inTransaction(this.#pool, async (client) => [
        await client.query<{ topic: string; partition: number; epoch: number }>(claimEpochsSql(this.#schema), [group, topics, numbers]),
        await client.query<{ topic: string; partition: number; table_key: string; applied_offset: string }>(appliedOffsetsSql(this.#schema), [
          group,
          topics,
          numbers,
        ]),
      ] as const);
      const applied = new Map<string, Map<string, bigint>>();
      for (const row of offsets.rows) {
        const key = partitionKey(row.topic, row.partition);
        const tables = applied.get(key) ?? new Map<string, bigint>();
        tables.set(row.table_key, BigInt(row.applied_offset));
        applied.set(key, tables);
      }
      return epochs.rows.map((row) => ({
        topic: row.topic,
        partition: row.partition,
        epoch: row.epoch,
        appliedOffsets: applied.get(partitionKey(row.topic, row.partition)) ?? new Map<string, bigint>(),
      }));
    } catch (error) {
      throw toSinkError(error, 'claiming partitions');
    }
  }
}

/** The highest origin offset per partition of a batch (its changes and its truncate). */
export function highestOrigins(batch: TableBatch): Map<string, PartitionRef & { offset: bigint }> {
  const highest = new Map<string, PartitionRef & { offset: bigint }>();
  const originLists = [batch.truncateOrigins, ...batch.changes.map((change) => change.origins)];
  for (const origins of originLists) {
    for (const origin of origins) {
      const key = partitionKey(origin.topic, origin.partition);
      const known = highest.get(key);
      if (known === undefined || origin.offset > known.offset) {
        highest.set(key, { topic: origin.topic, partition: origin.partition, offset: origin.offset });
      }
    }
  }
  return highest;
}

/**
 * Inside the write transaction, before the rows: lock the epoch rows of every partition the
 * batch came from and throw a fatal 'pg.fenced' SinkError if any epoch moved on.
 */
export async function checkEpochs(
  client: pg.PoolClient,
  schema: string,
  context: ExactlyOnceContext,
  origins: ReadonlyMap<string, PartitionRef>,
): Promise<void> {
  for (const key of origins.keys()) {
    if (!context.epochs.has(key)) {
      throw new SinkError('fatal', `no epoch was given for partition ${key} of the batch's origins`, { code: 'pg.epoch_missing' });
    }
  }
  const refs = sortedDistinct([...origins.values()]);
  if (refs.length === 0) return;
  const current = await client.query<{ topic: string; partition: number; epoch: number }>(lockEpochsSql(schema), [
    context.group,
    refs.map((ref) => ref.topic),
    refs.map((ref) => ref.partition),
  ]);
  const stored = new Map(current.rows.map((row) => [partitionKey(row.topic, row.partition), row.epoch]));
  for (const ref of refs) {
    const key = partitionKey(ref.topic, ref.partition);
    const presented = context.epochs.get(key);
    const now = stored.get(key);
    if (now !== presented) {
      throw new SinkError(
        'fatal',
        `partition ${key} of group ${context.group} is owned by epoch ${now ?? 'none'}, this writer holds ${presented}: fenced`,
        { code: 'pg.fenced' },
      );
    }
  }
}

/**
 * Inside the write transaction, after the rows: raise each (partition, table) high-water mark to
 * the batch's highest origin offset, or to the context's ceiling for that partition when lower.
 */
export async function recordOffsets(
  client: pg.PoolClient,
  schema: string,
  context: ExactlyOnceContext,
  table: TargetTable,
  origins: ReadonlyMap<string, PartitionRef & { offset: bigint }>,
): Promise<void> {
  const refs = [...origins.values()];
  if (refs.length === 0) return;
  await client.query(recordOffsetsSql(schema), [
    context.group,
    exactlyOnceTableKey(table),
    refs.map((ref) => ref.topic),
    refs.map((ref) => ref.partition),
    refs.map((ref) => cappedOffset(ref.offset, context.offsetCeilings?.get(partitionKey(ref.topic, ref.partition))).toString()),
    refs.map((ref) => context.epochs.get(partitionKey(ref.topic, ref.partition)) ?? 0),
  ]);
}

function cappedOffset(highest: bigint, ceiling: bigint | undefined): bigint {
  return ceiling !== undefined && ceiling < highest ? ceiling : highest;
}
