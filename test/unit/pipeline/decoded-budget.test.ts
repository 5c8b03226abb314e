/**
 * The in-flight budget counts what the pipeline holds for a record: its raw bytes and its decoded
 * change's estimated size (record-memory.ts). Compact records (Avro: a few
 * hundred bytes) decode into rows several times larger; counting only their raw bytes let the
 * budget admit far more than SLUICE_MAX_INFLIGHT_BYTES of rows (697 MiB RSS with a 64 MiB
 * budget). Whatever is charged for a record is released when it settles: written,
 * dead-lettered, skipped, or dropped with its revoked partition.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DecodeResult } from '../../../src/cdc/types.ts';
import { Controller } from '../../../src/control/controller.ts';
import { DecodeError, SinkError } from '../../../src/errors.ts';
import type { KafkaRecord, RecordBatch, SourceHandlers, TopicPartition } from '../../../src/kafka/types.ts';
import type { EventDecoder, Pipeline } from '../../../src/pipeline/pipeline.ts';
import { decodedChangeBytes, rawRecordBytes } from '../../../src/pipeline/record-memory.ts';
import type { RowFailure, TableBatch, WriteResult, Writer } from '../../../src/writer/types.ts';
import { upsert } from '../../support/events.ts';
import { HandDrivenSource, handDrivenPipeline } from '../../support/hand-driven-pipeline.ts';

const TOPIC = 'cdc.public.items';
const P0: TopicPartition = { topic: TOPIC, partition: 0 };
const P1: TopicPartition = { topic: TOPIC, partition: 1 };

/** Writes wait until the gate opens; rows whose id is in `poison` are rejected as poison. */
class GatedWriter implements Writer {
  readonly written: bigint[] = [];
  private opened = false;
  private waiters: (() => void)[] = [];
  constructor(private readonly poison: ReadonlySet<bigint> = new Set()) {}
  open(): Promise<void> {
    return Promise.resolve();
  }
  openGate(): void {
    this.opened = true;
    for (const wake of this.waiters.splice(0)) wake();
  }
  async write(batch: TableBatch): Promise<WriteResult> {
    if (!this.opened) await new Promise<void>((resolve) => this.waiters.push(resolve));
    const failures: RowFailure[] = [];
    for (const change of batch.changes) {
      const id = change.key.get('id') as bigint;
      if (this.poison.has(id)) failures.push({ change, error: new SinkError('poison', `row ${id} rejected`, { code: 'test.poison' }) });
      else this.written.push(id);
    }
    return { failures };
  }
  async close(): Promise<void> {}
}

/**
 * Record values: `<id>:<body length>` (an upsert whose row carries a body of that many
 * characters: a few raw bytes, a large decoded row), `<id>:<length>:<previous id>` (an update
 * that moved the key), `tombstone` (skipped) or `garbage` (a DecodeError).
 */
class CompactDecoder implements EventDecoder {
  prepared = 0;
  async prepare(): Promise<void> {
    this.prepared++;
  }
  decode(record: KafkaRecord): DecodeResult {
    const text = record.value!.toString('utf8');
    if (text === 'tombstone') return { kind: 'skip', reason: 'tombstone' };
    if (text === 'garbage') throw new DecodeError('cdc.malformed_json', 'not a change event');
    const [id, length, previous] = text.split(':').map(Number) as [number, number, number | undefined];
    const place = { topic: record.topic, partition: record.partition, offset: record.offset };
    return { kind: 'change', event: upsert(id, { name: `n${id}`, body: 'b'.repeat(length) }, place, previous) };
  }
}

/** A small PRNG so the row sizes are varied but the same at every run. */
function lengths(seed: number, count: number, min: number, max: number): number[] {
  let state = seed >>> 0;
  const out: number[] = [];
  for (let index = 0; index < count; index++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    out.push(min + (state % (max - min + 1)));
  }
  return out;
}

function batchOf(partition: TopicPartition, values: readonly string[], firstOffset: bigint): RecordBatch {
  const records = values.map((value, index) => ({
    topic: partition.topic,
    partition: partition.partition,
    offset: firstOffset + BigInt(index),
    key: null,
    value: Buffer.from(value),
    headers: new Map<string, Buffer>(),
    timestamp: 0,
  }));
  return { topic: partition.topic, partition: partition.partition, records, highWatermark: null };
}

/** What the budget should hold for these records: raw bytes plus their decoded changes' size. */
function expectedCharge(batch: RecordBatch): { raw: number; charged: number } {
  const decoder = new CompactDecoder();
  let raw = 0;
  let charged = 0;
  for (const record of batch.records) {
    const rawBytes = rawRecordBytes(record);
    raw += rawBytes;
    let decoded = 0;
    try {
      const result = decoder.decode(record);
      if (result.kind === 'change') decoded = decodedChangeBytes(result.event);
    } catch {
      decoded = 0;
    }
    charged += rawBytes + decoded;
  }
  return { raw, charged };
}

interface BudgetedPipeline<D extends EventDecoder> {
  readonly controller: Controller;
  readonly source: HandDrivenSource;
  readonly pipeline: Pipeline;
  readonly handlers: SourceHandlers;
  readonly decoder: D;
  readonly deadLettered: number[];
  /** Bytes of the budget in use now. */
  readonly used: () => number;
}

/** A started pipeline with the given budget over a hand-driven source. */
async function startBudgeted<D extends EventDecoder>(maxInflightBytes: number, headroomBytes: number, writer: Writer, decoder: D): Promise<BudgetedPipeline<D>> {
  const controller = new Controller({ maxInflightBytes, headroomBytes });
  const source = new HandDrivenSource();
  const deadLettered: number[] = [];
  const pipeline = handDrivenPipeline({ source, decoder, writer, controller, maxInflightBytes, onDeadLetters: (messages) => deadLettered.push(messages.length) });
  await pipeline.start();
  return { controller, source, pipeline, handlers: source.handlers!, decoder, deadLettered, used: () => controller.snapshot().inflight.usedBytes };
}

async function until(condition: () => boolean, what: () => string, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets every callback already queued run (the pipeline's synchronous steps and resolved awaits). */
async function settleQueued(): Promise<void> {
  for (let round = 0; round < 5; round++) await new Promise((resolve) => setImmediate(resolve));
}

test('compact records with large decoded rows are charged their decoded size too: partitions pause, the next batch waits for room, usage returns to 0 once written', { timeout: 30_000 }, async () => {
  const maxInflightBytes = 256 * 1024;
  const writer = new GatedWriter();
  const { controller, source, pipeline, handlers, decoder, used } = await startBudgeted(maxInflightBytes, 64 * 1024, writer, new CompactDecoder());
  try {
    await handlers.onAssigned([P0]);
    const first = batchOf(P0, lengths(7, 100, 800, 1_800).map((length, index) => `${index + 1}:${length}`), 0n);
    const expected = expectedCharge(first);
    assert.ok(expected.raw < controller.snapshot().inflight.pauseAtBytes && expected.charged > controller.snapshot().inflight.pauseAtBytes, 'the scenario: raw bytes below the pause threshold, decoded rows above it');
    await handlers.onBatch(first);
    assert.equal(used(), expected.charged, `charged raw bytes and decoded size (${expected.charged} B), not the raw bytes alone (${expected.raw} B)`);
    assert.deepEqual(source.paused, [P0], 'the decoded rows took usage past the pause threshold');

    // Raw bytes alone would fit under the hard limit; with the decoded size learnt from the
    // first batch the second does not, so it waits (before its schemas are even prepared).
    const second = batchOf(P0, lengths(8, 30, 800, 1_800).map((length, index) => `${index + 101}:${length}`), 100n);
    assert.ok(used() + expectedCharge(second).raw <= maxInflightBytes, `the scenario: the raw bytes fit (${used()} + ${expectedCharge(second).raw} B)`);
    const secondDone = handlers.onBatch(second);
    await settleQueued();
    assert.equal(decoder.prepared, 1, 'the second batch waits for room');

    writer.openGate();
    await secondDone;
    await until(() => used() === 0 && pipeline.unwrittenRecords() === 0, () => `used ${used()} B, unwritten ${pipeline.unwrittenRecords()}`);
    assert.equal(writer.written.length, 130);
    assert.ok(controller.snapshot().inflight.peakBytes <= expected.charged + expectedCharge(second).charged);
  } finally {
    await pipeline.stop(1_000);
  }
});

test('what a record is charged is released on every path: written, dead-lettered at decode or write, skipped, a moved key, and after the learnt reservation is trued up', { timeout: 30_000 }, async () => {
  const maxInflightBytes = 4 * 1024 * 1024;
  const writer = new GatedWriter(new Set([3n, 7n]));
  const { pipeline, handlers, deadLettered, used } = await startBudgeted(maxInflightBytes, 1024 * 1024, writer, new CompactDecoder());
  try {
    await handlers.onAssigned([P0]);
    const firstValues = ['1:900', 'tombstone', '2:40', 'garbage', '3:2000', '4:1500:1', 'tombstone', '5:10'];
    const first = batchOf(P0, firstValues, 0n);
    await handlers.onBatch(first);
    // The first record is held by its pending change, so nothing after it is released yet.
    assert.equal(used(), expectedCharge(first).charged);

    // Rows much smaller than the first batch's: the reservation learnt from it is too large and
    // the surplus is released once the batch is decoded.
    const second = batchOf(P0, [...lengths(11, 20, 1, 30).map((length, index) => `${index + 6}:${length}`), 'garbage'], 8n);
    await handlers.onBatch(second);
    assert.equal(used(), expectedCharge(first).charged + expectedCharge(second).charged, 'the reservation trued up to what the records hold');

    writer.openGate();
    await until(() => used() === 0 && pipeline.unwrittenRecords() === 0, () => `used ${used()} B, unwritten ${pipeline.unwrittenRecords()}`);
    // Decode failures (one record each) and the two poison rows.
    assert.equal(
      deadLettered.reduce((sum, count) => sum + count, 0),
      4,
    );
  } finally {
    await pipeline.stop(1_000);
  }
});

test('a revoked partition gives back everything charged for its records, and a batch that waited for room across the revocation gives back its reservation', { timeout: 30_000 }, async () => {
  const maxInflightBytes = 128 * 1024;
  const writer = new GatedWriter();
  const { pipeline, handlers, decoder, used } = await startBudgeted(maxInflightBytes, 32 * 1024, writer, new CompactDecoder());
  try {
    await handlers.onAssigned([P0, P1]);
    const kept = batchOf(P0, ['1:100', '2:100'], 0n);
    await handlers.onBatch(kept);
    const revoked = batchOf(
      P1,
      lengths(5, 40, 2_000, 3_000).map((length, index) => `${index + 100}:${length}`),
      0n,
    );
    await handlers.onBatch(revoked);
    assert.equal(used(), expectedCharge(kept).charged + expectedCharge(revoked).charged);
    const waiting = handlers.onBatch(batchOf(P1, ['500:2500', '501:2500'], 40n));
    await settleQueued();
    assert.equal(decoder.prepared, 2, 'the third batch waits for room');

    // The writes hang: revocation gives up waiting for them and drops the partition's records.
    await handlers.onRevoked([P1]);
    await waiting;
    assert.equal(used(), expectedCharge(kept).charged, 'only the kept partition is still charged');
    writer.openGate();
    await until(() => used() === 0 && pipeline.unwrittenRecords() === 0, () => `used ${used()} B, unwritten ${pipeline.unwrittenRecords()}`);
  } finally {
    await pipeline.stop(1_000);
  }
});

/** A decoder whose schema lookup (prepare) waits for a gate, as the Avro decoder waits for the registry. */
class GatedPrepareDecoder extends CompactDecoder {
  private openGate!: () => void;
  private readonly gate = new Promise<void>((resolve) => {
    this.openGate = resolve;
  });
  open(): void {
    this.openGate();
  }
  override async prepare(): Promise<void> {
    await super.prepare();
    await this.gate;
  }
}

test('the first batches of a new topic, admitted together while their schemas are fetched, stay within the limit (nothing measured yet to reserve from)', { timeout: 30_000 }, async () => {
  const maxInflightBytes = 256 * 1024;
  const writer = new GatedWriter();
  const { controller, pipeline, handlers, decoder } = await startBudgeted(maxInflightBytes, 64 * 1024, writer, new GatedPrepareDecoder());
  const partitions = [0, 1, 2, 3].map((partition) => ({ topic: TOPIC, partition }));
  try {
    await handlers.onAssigned(partitions);
    // One fetch round: four partitions' first batches, rows decoding to ~1.5 KB from ~10 B.
    const batches = partitions.map((partition, index) => batchOf(partition, lengths(11 + index, 40, 1_200, 1_800).map((length, row) => `${index * 1_000 + row + 1}:${length}`), 0n));
    const total = batches.reduce((sum, batch) => sum + expectedCharge(batch).charged, 0);
    assert.ok(total > maxInflightBytes, `the four batches together (${total} B) must exceed the limit for this test to say anything`);
    const deliveries = batches.map((batch) => handlers.onBatch(batch));
    await settleQueued();
    decoder.open();
    // The writes are held: whatever was admitted now stays. (Admitted on raw bytes, all four
    // were decoded at once and took usage past the limit.)
    await until(() => decoder.prepared >= 2, () => `prepared ${decoder.prepared}`);
    await settleQueued();
    assert.ok(controller.snapshot().inflight.peakBytes <= maxInflightBytes, `peak ${controller.snapshot().inflight.peakBytes} B over the ${maxInflightBytes} B limit (${decoder.prepared} batches decoded)`);
    writer.openGate();
    await Promise.all(deliveries);
    await until(() => writer.written.length === 160, () => `written ${writer.written.length} of 160`);
    assert.ok(controller.snapshot().inflight.peakBytes <= maxInflightBytes, `peak ${controller.snapshot().inflight.peakBytes} B over the ${maxInflightBytes} B limit`);
    await until(() => controller.snapshot().inflight.usedBytes === 0, () => `used ${controller.snapshot().inflight.usedBytes}`);
  } finally {
    writer.openGate();
    decoder.open();
    await pipeline.stop(1_000);
  }
});
