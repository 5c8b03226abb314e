/**
 * The load generator: Debezium-format change events (PostgreSQL connector 3.6.1.Final, Kafka
 * Connect JsonConverter, schemas.enable true by default) with a computable expected final state.
 * Used by `npm run demo`, the end-to-end tests, the benchmarks and the chaos tests.
 *
 *   const workload = createWorkload({ seed: 42, tables: ['measurements', 'toasty', 'composite'],
 *                                     events: 100_000, partitions: 4,
 *                                     mix: { insert: 4, update: 4, delete: 1, keyChange: 0.5, truncate: 0.01 } });
 *   await produceWorkload(workload, { brokers: ['127.0.0.1:9092'], schedule: [{ eventsPerSecond: 2000, seconds: 30 }, { eventsPerSecond: null }] });
 *   const expected = workload.expectedState();            // table → canonical key → Row
 *   const report = await verifyPostgres({ client, workload });   // { equal, missing, extra, different, samples }
 *
 * From a shell: `node --import tsx src/loadgen/cli.ts measure|produce …` (see cli.ts).
 *
 * Pieces: workload.ts (op mix, skew, partitions, expected state), debezium-encoder.ts (the
 * event bytes), table-shapes.ts (narrow, measurements, wide, toasty, composite), produce.ts
 * (topic creation, rate schedule in records/s tombstones included, kafkajs or — `client:
 * 'confluent'` — librdkafka), verify-postgres.ts (target vs expected state), canonical-text.ts
 * (how values are compared).
 *
 * Contract:
 * - Deterministic: the same options (seed included) give the same records, byte for byte, and
 *   the same expected state. No Math.random; with `clock: {kind: 'wall'}` only the timestamps
 *   (source.ts_*, envelope ts_*, record timestamp) follow the wall clock. The default
 *   synthetic clock starts at 2026-01-01: use the wall clock wherever source-to-sink latency
 *   is measured (demo, latency benchmark).
 * - `events` counts streaming change events (c, u, d, t records); tombstones come on top. A key
 *   change is two change events (delete + create) plus the tombstone. `snapshotRowsPerTable`
 *   adds an initial snapshot before them (op r, source.snapshot first/true/…/last).
 * - Every event of a source transaction carries its txId and commit time (source.ts_*); LSNs
 *   grow with every event; a key change's delete and create share one LSN. Records carry
 *   Debezium 3.x's `__debezium.context.*` headers (contextHeaders: false drops them).
 * - Records of one key are generated in source order and land in one partition (murmur2 of the
 *   serialized key, as Kafka Connect's producer does, unless a partitioner is given), so a sink
 *   that applies each partition in order reaches `expectedState()`.
 * - Truncates have no key; Debezium's producer puts them on one partition (here
 *   `truncatePartition`, default 0). With several partitions the final state is exact only for a
 *   sink that orders a truncate against the other partitions by `source.lsn` (events of the
 *   table with a smaller lsn than the truncate's are already truncated); mix.truncate defaults to 0.
 * - `expectedState()` is the state after every record generated so far: call it once the
 *   records are consumed. Values use src/cdc/types.ts's representation; TOAST placeholders are
 *   resolved to the last real value; NOT NULL fallbacks never appear (they are only in delete
 *   `before` images).
 * - Key changes carry real values in TOASTed columns by default; real Debezium sends the
 *   placeholder there (keyChangeToast: 'placeholder' reproduces it).
 * - Verified byte for byte against real Debezium 3.6.1.Final output
 *   (test/unit/loadgen/debezium-capture.test.ts and its fixture). Note that Debezium skips
 *   truncates unless `skipped.operations` is changed from its default 't'.
 */
export { canonicalPostgresText, canonicalValueText } from './canonical-text.ts';
export { TOAST_PLACEHOLDER } from './column-types.ts';
export { DebeziumTableEncoder, type EncoderOptions, type SnapshotMarker, type SourceStamp, UNCHANGED_TOAST } from './debezium-encoder.ts';
export { murmur2, partitionForKey } from './murmur2.ts';
export { Prng } from './prng.ts';
export {
  type BatchSender,
  type OutgoingBatch,
  type ProduceOptions,
  type ProduceProgress,
  type ProduceResult,
  produceWorkload,
  type RatePhase,
  sendWorkload,
} from './produce.ts';
export {
  type ColumnDefinition,
  canonicalKey,
  createTableSql,
  type ShapeName,
  type TableDefinition,
  tableSchemaOf,
} from './table-definition.ts';
export { defineTable, SHAPES } from './table-shapes.ts';
export { type TableVerification, type VerifyPostgresOptions, type VerifyReport, verifyPostgres } from './verify-postgres.ts';
export {
  createWorkload,
  DEFAULT_MIX,
  type KeySkew,
  type OpMix,
  type Partitioner,
  type TableSpec,
  type TopicSpec,
  Workload,
  type WorkloadClock,
  type WorkloadOptions,
  type WorkloadRecord,
  type WorkloadStats,
} from './workload.ts';
