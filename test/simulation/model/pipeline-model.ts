/**
 * The modelled pipeline around the REAL controller (src/control/controller.ts): a consumer that
 * polls the modelled topic (honouring pause/resume, fetch.max.bytes and the per-partition fetch
 * limit), a batcher (cut at the batch size, or by the linger timer), writers (as many in flight as
 * the controller's concurrency; a failed attempt keeps its slot and is retried with backoff, or
 * after the sink's retry-after), offsets committed per partition over the contiguous written
 * prefix. It calls the controller exactly as the real pipeline does: admit/release bytes,
 * beginWrite/endWrite per attempt, stage meters, recordLag on an interval, tick every interval.
 */
import { Controller, type ControllerEvent } from '../../../src/control/controller.ts';
import type { LagClass } from '../../../src/control/lag.ts';
import type { SpanToken, StageName } from '../../../src/control/stages.ts';
import { EventQueue } from './event-queue.ts';
import type { ScenarioParams } from './scenario.ts';
import { seededRandom } from './seeded-random.ts';
import { SinkModel, type SinkResult } from './sink-model.ts';
import { TopicModel } from './topic-model.ts';

export interface PinnedSettings {
  readonly batch: number;
  readonly concurrency: number;
}

export interface TickRecord {
  /** Seconds. */
  readonly t: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly totalLag: number;
  readonly lagClass: LagClass;
  readonly pausedPartitions: number;
  readonly usedBytes: number;
  /** Rows written so far. */
  readonly written: number;
  readonly bottleneck: StageName | null;
}

export interface RunRecord {
  readonly pinned: PinnedSettings | null;
  readonly ticks: readonly TickRecord[];
  readonly events: readonly { readonly t: number; readonly event: ControllerEvent }[];
  readonly reasons: readonly { readonly t: number; readonly reason: string }[];
  /** Successful writes: end time (s), latency (ms), rows. */
  readonly writes: readonly { readonly t: number; readonly latencyMs: number; readonly rows: number }[];
  readonly attempts: number;
  readonly backpressureErrors: number;
  readonly retryableErrors: number;
  readonly produced: number;
  readonly written: number;
  readonly lost: number;
  readonly firstLossAt: number | null;
  readonly unwrittenAtEnd: number;
  readonly peakInflightBytes: number;
  readonly maxInflightBytes: number;
  readonly pauseEvents: number;
  /** Seconds during which at least one partition was paused. */
  readonly pausedSeconds: number;
}

interface Slice {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  done: boolean;
}

interface Segment {
  readonly partition: number;
  from: number;
  readonly to: number;
  readonly fetchedAt: number;
}

interface Batch {
  readonly slices: readonly Slice[];
  readonly rows: number;
  readonly bytes: number;
  attempts: number;
}

interface PartitionState {
  fetchPos: number;
  /** Lowest fetched offset not yet cut into a batch (meaningful when bufferedRows > 0). */
  unbatchedFrom: number;
  bufferedRows: number;
  readonly batched: Slice[];
  paused: boolean;
  /** Offset ranges deleted by retention before they were fetched: [from, to). */
  readonly lostRanges: [number, number][];
}

const productionStepMs = 100;

export function simulate(params: ScenarioParams, pinned: PinnedSettings | null = null): RunRecord {
  const queue = new EventQueue();
  const random = seededRandom(params.seed);
  const topic = new TopicModel(params);
  const sink = new SinkModel(params.sink, queue, seededRandom(params.seed + 1));
  const p = params.pipeline;
  const c = params.controller;
  const recordBytes = params.topic.record_bytes;
  const controller = new Controller({
    maxInflightBytes: c.max_inflight_bytes,
    headroomBytes: p.fetch_max_bytes,
    batchSize:
      pinned === null
        ? { min: c.min_batch, max: c.max_batch, initial: c.min_batch, latencyTargetMs: c.latency_target_ms }
        : { min: pinned.batch, max: pinned.batch, initial: pinned.batch, latencyTargetMs: c.latency_target_ms },
    concurrency:
      pinned === null
        ? { min: 1, max: c.max_concurrency, initial: 1 }
        : { min: pinned.concurrency, max: pinned.concurrency, initial: pinned.concurrency },
    retentionWarningSeconds: c.retention_warning_s,
  });
  const topicPartitions = topic.partitions.map((log) => ({ topic: topic.name, partition: log.partition }));
  controller.assign(topicPartitions);
  controller.setRetention(topic.name, { ms: params.topic.retention_ms, bytes: params.topic.retention_bytes });

  const partitions: PartitionState[] = topic.partitions.map(() => ({
    fetchPos: 0,
    unbatchedFrom: 0,
    bufferedRows: 0,
    batched: [],
    paused: false,
    lostRanges: [],
  }));
  const buffer: Segment[] = [];
  let bufferedRows = 0;
  const inFlight = new Set<Batch>();
  let batchSize = controller.batchSize;
  let concurrency = controller.concurrency;
  let lingerAt: number | null = null;
  let pollRotation = 0;

  const ticks: TickRecord[] = [];
  const events: { t: number; event: ControllerEvent }[] = [];
  const reasons: { t: number; reason: string }[] = [];
  const writes: { t: number; latencyMs: number; rows: number }[] = [];
  let attempts = 0;
  let backpressureErrors = 0;
  let retryableErrors = 0;
  let written = 0;
  let lost = 0;
  let firstLossAt: number | null = null;
  let pauseEvents = 0;
  let pausedMs = 0;

  const meter = (name: StageName) => controller.stages.meter(name);

  const committed = (index: number): number => {
    const state = partitions[index]!;
    const firstBatched = state.batched[0];
    if (firstBatched !== undefined) return firstBatched.from;
    return state.bufferedRows > 0 ? state.unbatchedFrom : state.fetchPos;
  };

  const pause = (list: readonly { partition: number }[]) => {
    if (list.length > 0) pauseEvents += 1;
    for (const q of list) partitions[q.partition]!.paused = true;
  };

  const skipDeleted = (now: number) => {
    for (const log of topic.partitions) {
      const state = partitions[log.partition]!;
      if (state.fetchPos >= log.logStart) continue;
      lost += log.logStart - state.fetchPos;
      state.lostRanges.push([state.fetchPos, log.logStart]);
      firstLossAt ??= now;
      state.fetchPos = log.logStart;
      if (state.bufferedRows === 0) state.unbatchedFrom = state.fetchPos;
    }
  };

  const poll = (now: number) => {
    skipDeleted(now);
    let left = p.fetch_max_bytes;
    const order = topic.partitions.map((_, i) => (i + pollRotation) % topic.partitions.length);
    pollRotation += 1;
    const fetchable = order.filter((i) => !partitions[i]!.paused);
    for (const index of fetchable) {
      const log = topic.partitions[index]!;
      const state = partitions[index]!;
      const count = Math.min(
        log.logEnd - state.fetchPos,
        Math.floor(p.partition_fetch_max_bytes / recordBytes),
        Math.floor(left / recordBytes),
      );
      if (count <= 0) continue;
      const bytes = count * recordBytes;
      left -= bytes;
      if (state.bufferedRows === 0) state.unbatchedFrom = state.fetchPos;
      buffer.push({ partition: index, from: state.fetchPos, to: state.fetchPos + count, fetchedAt: now });
      state.fetchPos += count;
      state.bufferedRows += count;
      bufferedRows += count;
      pause(controller.admit(topicPartitions[index]!, bytes, count));
      meter('decode').record('busy', now, now + count * 0.002);
    }
    meter('fetch').record('busy', now, now + 2);
    if (partitions.some((s) => s.paused)) pausedMs += p.poll_interval_ms;
    if (partitions.every((s) => s.paused)) meter('fetch').record('backpressured', now - p.poll_interval_ms, now);
    if (bufferedRows >= batchSize && inFlight.size >= concurrency) {
      meter('batch-queue').record('backpressured', now - p.poll_interval_ms, now);
    }
    dispatch();
  };

  const cutBatch = (): Batch => {
    const slices: Slice[] = [];
    let rows = 0;
    while (rows < batchSize && buffer.length > 0) {
      const segment = buffer[0]!;
      const take = Math.min(segment.to - segment.from, batchSize - rows);
      const slice: Slice = { partition: segment.partition, from: segment.from, to: segment.from + take, done: false };
      const state = partitions[segment.partition]!;
      state.batched.push(slice);
      slices.push(slice);
      state.bufferedRows -= take;
      state.unbatchedFrom = slice.to;
      segment.from += take;
      if (segment.from >= segment.to) buffer.shift();
      rows += take;
    }
    bufferedRows -= rows;
    return { slices, rows, bytes: rows * recordBytes, attempts: 0 };
  };

  const dispatch = () => {
    const now = queue.now;
    while (inFlight.size < concurrency && bufferedRows > 0) {
      const lingerDue = buffer[0]!.fetchedAt + p.linger_ms;
      if (bufferedRows < batchSize && lingerDue > now) {
        if (lingerAt === null || lingerAt > lingerDue) {
          lingerAt = lingerDue;
          queue.at(lingerDue, () => {
            lingerAt = null;
            dispatch();
          });
        }
        return;
      }
      const batch = cutBatch();
      inFlight.add(batch);
      meter('batch-queue').record('busy', now, now + 0.5);
      attempt(batch);
    }
  };

  const attempt = (batch: Batch) => {
    batch.attempts += 1;
    attempts += 1;
    const started = controller.beginWrite({ rows: batch.rows, bytes: batch.bytes }, queue.now);
    const span: SpanToken = meter('write').begin('busy', queue.now);
    sink.submit(batch.rows, (result: SinkResult) => {
      const now = queue.now;
      meter('write').end(span, now);
      if (result.ok) {
        controller.endWrite(started, now, null);
        writes.push({ t: now / 1000, latencyMs: now - started.startedAt, rows: batch.rows });
        written += batch.rows;
        for (const slice of batch.slices) {
          slice.done = true;
          controller.release(topicPartitions[slice.partition]!, (slice.to - slice.from) * recordBytes);
          const batched = partitions[slice.partition]!.batched;
          while (batched.length > 0 && batched[0]!.done) batched.shift();
        }
        meter('commit').record('busy', now, now + 1);
        inFlight.delete(batch);
        dispatch();
        return;
      }
      controller.endWrite(started, now, result.errorClass);
      if (result.errorClass === 'backpressure') backpressureErrors += 1;
      else retryableErrors += 1;
      const backoff = Math.min(p.retry_max_ms, p.retry_base_ms * 2 ** (batch.attempts - 1)) * random.between(0.8, 1.2);
      queue.after(Math.max(backoff, result.retryAfterMs ?? 0), () => attempt(batch));
    });
  };

  const sampleLag = (now: number) => {
    topic.applyRetention(now);
    skipDeleted(now);
    controller.recordLag({
      at: now,
      partitions: topic.partitions.map((log) => {
        const offset = committed(log.partition);
        return {
          topic: topic.name,
          partition: log.partition,
          logEndOffset: BigInt(log.logEnd),
          committedOffset: BigInt(offset),
          fetchPosition: BigInt(partitions[log.partition]!.fetchPos),
          oldestUnwrittenAgeMs: offset < log.logEnd ? now - topic.timestampOf(log.partition, offset) : 0,
        };
      }),
    });
  };

  const tick = (now: number) => {
    const decision = controller.tick(now);
    batchSize = decision.batchSize;
    concurrency = decision.concurrency;
    pause(decision.pausePartitions);
    for (const q of decision.resumePartitions) partitions[q.partition]!.paused = false;
    for (const reason of decision.reasons) reasons.push({ t: now / 1000, reason });
    for (const event of decision.events) events.push({ t: now / 1000, event });
    const snapshot = controller.snapshot();
    ticks.push({
      t: now / 1000,
      batchSize,
      concurrency,
      totalLag: topic.partitions.reduce((sum, log) => sum + log.logEnd - committed(log.partition), 0),
      lagClass: snapshot.lag?.total.lagClass ?? 'steady',
      pausedPartitions: partitions.filter((s) => s.paused).length,
      usedBytes: snapshot.inflight.usedBytes,
      written,
      bottleneck: snapshot.bottleneck,
    });
    dispatch();
  };

  const end = params.duration_s * 1000;
  queue.every(productionStepMs, productionStepMs, end, (now) => topic.produce(now, productionStepMs));
  queue.every(p.poll_interval_ms, p.poll_interval_ms, end, poll);
  queue.every(p.lag_sample_ms, p.lag_sample_ms, end, sampleLag);
  queue.every(p.tick_ms, p.tick_ms, end, tick);
  queue.runUntil(end);

  const produced = topic.partitions.reduce((sum, log) => sum + log.logEnd, 0);
  // Records at or above the committed offset that were lost are counted as lost, not unwritten.
  const unwrittenAtEnd = topic.partitions.reduce((sum, log) => {
    const from = committed(log.partition);
    const lostAbove = partitions[log.partition]!.lostRanges.reduce(
      (n, [a, b]) => n + Math.max(0, Math.min(b, log.logEnd) - Math.max(a, from)),
      0,
    );
    return sum + log.logEnd - from - lostAbove;
  }, 0);
  const usage = controller.snapshot().inflight;
  return {
    pinned,
    ticks,
    events,
    reasons,
    writes,
    attempts,
    backpressureErrors,
    retryableErrors,
    produced,
    written,
    lost,
    firstLossAt: firstLossAt === null ? null : firstLossAt / 1000,
    unwrittenAtEnd,
    peakInflightBytes: usage.peakBytes,
    maxInflightBytes: usage.maxBytes,
    pauseEvents,
    pausedSeconds: pausedMs / 1000,
  };
}
