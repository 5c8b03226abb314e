/**
 * Every metric sluice exports, declared in this one module (names: sluice_<thing>_<unit>).
 * The same numbers feed /metrics, the status page, the demo's progress line and the CLI.
 * A registry per service instance keeps tests that run several pipelines in one process apart.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TopicPartition } from '../kafka/types.ts';
import type { WriteObservation } from '../pipeline/batch-executor.ts';
import type { DeadLetterReason } from '../pipeline/dead-letter.ts';
import type { PipelineObserver } from '../pipeline/pipeline.ts';
import type { RowChange, TableBatch } from '../writer/types.ts';

export class SluiceMetrics implements PipelineObserver {
  readonly registry = new Registry();
  readonly eventsConsumed = new Counter({ name: 'sluice_events_consumed_total', help: 'Kafka records received, by topic and partition.', labelNames: ['topic', 'partition'], registers: [this.registry] });
  readonly bytesConsumed = new Counter({ name: 'sluice_consumed_bytes_total', help: 'Bytes of Kafka records received.', registers: [this.registry] });
  readonly eventsSkipped = new Counter({ name: 'sluice_events_skipped_total', help: 'Records that needed no write (tombstones, heartbeats, already applied), by reason.', labelNames: ['reason'], registers: [this.registry] });
  readonly rowsWritten = new Counter({ name: 'sluice_rows_written_total', help: 'Row changes durably written, by table and operation.', labelNames: ['table', 'op'], registers: [this.registry] });
  readonly eventsWritten = new Counter({ name: 'sluice_events_written_total', help: 'Kafka records whose changes are durably written (before compaction).', registers: [this.registry] });
  readonly deadLetteredRecords = new Counter({ name: 'sluice_dead_lettered_total', help: 'Records sent to the dead-letter topic, by error code.', labelNames: ['code', 'class'], registers: [this.registry] });
  readonly writeErrors = new Counter({ name: 'sluice_write_errors_total', help: 'Failed write attempts, by error class.', labelNames: ['class', 'code'], registers: [this.registry] });
  readonly batchRows = new Histogram({ name: 'sluice_batch_rows', help: 'Rows per written batch.', buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000], registers: [this.registry] });
  readonly writeLatency = new Histogram({ name: 'sluice_write_latency_seconds', help: 'Latency of one write attempt of one batch.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  readonly endToEndLatency = new Histogram({ name: 'sluice_end_to_end_latency_seconds', help: 'From the source commit (source.ts_ms) to the row written.', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900], registers: [this.registry] });
  readonly batchSizeTarget = new Gauge({ name: 'sluice_batch_size_rows', help: 'Batch size the controller currently chooses.', registers: [this.registry] });
  readonly concurrency = new Gauge({ name: 'sluice_write_concurrency', help: 'Write concurrency the controller currently allows.', registers: [this.registry] });
  readonly inflightBytes = new Gauge({ name: 'sluice_inflight_bytes', help: 'Memory budget in use: raw bytes of records received and not yet settled plus the estimated size of their decoded changes.', registers: [this.registry] });
  readonly inflightLimit = new Gauge({ name: 'sluice_inflight_limit_bytes', help: 'SLUICE_MAX_INFLIGHT_BYTES.', registers: [this.registry] });
  readonly pausedPartitions = new Gauge({ name: 'sluice_paused_partitions', help: 'Partitions currently paused.', registers: [this.registry] });
  readonly pauseEvents = new Counter({ name: 'sluice_partition_pauses_total', help: 'Partition pauses, by reason.', labelNames: ['reason'], registers: [this.registry] });
  readonly commits = new Counter({ name: 'sluice_offset_commits_total', help: 'Offset commits.', registers: [this.registry] });
  readonly lastCommitTime = new Gauge({ name: 'sluice_last_commit_timestamp_seconds', help: 'When offsets were last committed.', registers: [this.registry] });
  readonly lag = new Gauge({ name: 'sluice_lag_records', help: 'Consumer lag (log-end offset minus committed offset) per partition.', labelNames: ['topic', 'partition'], registers: [this.registry] });
  readonly lagSlope = new Gauge({ name: 'sluice_lag_slope_records_per_second', help: 'Least-squares slope of lag per partition (short window).', labelNames: ['topic', 'partition'], registers: [this.registry] });
  readonly lagClass = new Gauge({ name: 'sluice_lag_class', help: 'Lag trend per partition: 1 for the current class (steady, spike, linear, exponential).', labelNames: ['topic', 'partition', 'class'], registers: [this.registry] });
  readonly retentionEta = new Gauge({ name: 'sluice_retention_breach_eta_seconds', help: 'Estimated time before lag outruns topic retention; -1 when draining (none).', labelNames: ['topic', 'partition'], registers: [this.registry] });
  readonly stageBusyRatio = new Gauge({ name: 'sluice_stage_busy_ratio', help: 'Share of time each stage was busy.', labelNames: ['stage'], registers: [this.registry] });
  readonly stageBackpressuredRatio = new Gauge({ name: 'sluice_stage_backpressured_ratio', help: 'Share of time each stage waited on a full downstream.', labelNames: ['stage'], registers: [this.registry] });
  readonly bottleneck = new Gauge({ name: 'sluice_bottleneck_stage', help: '1 for the stage currently diagnosed as the bottleneck.', labelNames: ['stage'], registers: [this.registry] });
  readonly lostRecords = new Counter({ name: 'sluice_records_lost_total', help: 'Offsets skipped between two fetches of a partition: records never delivered (deleted by retention while lagging), by topic and partition.', labelNames: ['topic', 'partition'], registers: [this.registry] });
  readonly desiredReplicas = new Gauge({ name: 'sluice_desired_replicas', help: 'Replicas the lag trend and per-replica throughput call for, capped at the partition count.', registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
  }

  recordsReceived(partition: TopicPartition, count: number, bytes: number): void {
    this.eventsConsumed.inc({ topic: partition.topic, partition: String(partition.partition) }, count);
    this.bytesConsumed.inc(bytes);
  }

  eventSkipped(reason: string): void {
    this.eventsSkipped.inc({ reason });
  }

  batchWritten(table: string, batch: TableBatch, _latencyMs: number, deadLettered: readonly RowChange[] = []): void {
    const rejected = new Set(deadLettered);
    let upserts = 0;
    let deletes = 0;
    let events = batch.truncateOrigins.length;
    const now = Date.now();
    let newestSourceTs = 0;
    for (const change of batch.changes) {
      // Dead-lettered changes are counted by sluice_dead_lettered_total, not as written.
      if (rejected.has(change)) continue;
      if (change.kind === 'upsert') upserts++;
      else deletes++;
      events += change.origins.length;
      if (change.sourceTsMs > newestSourceTs) newestSourceTs = change.sourceTsMs;
    }
    if (upserts > 0) this.rowsWritten.inc({ table, op: 'upsert' }, upserts);
    if (deletes > 0) this.rowsWritten.inc({ table, op: 'delete' }, deletes);
    if (batch.truncateFirst) this.rowsWritten.inc({ table, op: 'truncate' }, 1);
    this.eventsWritten.inc(events);
    this.batchRows.observe(batch.changes.length);
    if (newestSourceTs > 0) this.endToEndLatency.observe(Math.max(0, now - newestSourceTs) / 1000);
  }


  writeAttempt(observation: WriteObservation): void {
    this.writeLatency.observe(observation.latencyMs / 1000);
    if (observation.errorClass !== undefined) this.writeErrors.inc({ class: observation.errorClass, code: observation.errorCode ?? 'unknown' });
  }

  deadLettered(reason: DeadLetterReason, count: number): void {
    this.deadLetteredRecords.inc({ code: reason.code, class: reason.errorClass }, count);
  }

  committed(): void {
    this.commits.inc();
    this.lastCommitTime.set(Date.now() / 1000);
  }

  recordsLost(partition: TopicPartition, count: number): void {
    this.lostRecords.inc({ topic: partition.topic, partition: String(partition.partition) }, count);
  }

  partitionsPaused(partitions: readonly TopicPartition[], reason: string): void {
    this.pauseEvents.inc({ reason }, partitions.length);
  }
}
