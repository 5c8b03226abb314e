/**
 * A batch that was still waiting to be routed (for room in the memory budget, or for the
 * decoder's schemas) when its partition was revoked belongs to the previous assignment. The new
 * assignment reads those records again from the committed offset; routing the old copy late,
 * after newer changes of the same key, would write an older row image over a newer one. Seen in
 * the broker-restart chaos fault as rows "different" from the expected state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DecodeResult } from '../../../src/cdc/types.ts';
import { Controller } from '../../../src/control/controller.ts';
import type { KafkaRecord, RecordBatch, TopicPartition } from '../../../src/kafka/types.ts';
import type { EventDecoder } from '../../../src/pipeline/pipeline.ts';
import type { TableBatch, WriteResult, Writer } from '../../../src/writer/types.ts';
import { upsert } from '../../support/events.ts';
import { HandDrivenSource, handDrivenPipeline } from '../../support/hand-driven-pipeline.ts';

const TOPIC = 'cdc.public.items';
const PARTITION: TopicPartition = { topic: TOPIC, partition: 0 };

/** Keeps the last written `name` of each id, in write order: what a table would hold. */
class TableInMemory implements Writer {
  readonly names = new Map<bigint, string>();
  async open(): Promise<void> {}
  async write(batch: TableBatch): Promise<WriteResult> {
    for (const change of batch.changes) {
      const id = change.key.get('id') as bigint;
      if (change.kind === 'delete') this.names.delete(id);
      else this.names.set(id, change.row.get('name') as string);
    }
    return { failures: [] };
  }
  async close(): Promise<void> {}
}

/** Record values are `<id>:<name>`; prepare() of the first batch waits until the test opens it. */
class GatedDecoder implements EventDecoder {
  private gate: Promise<void> | null;
  open!: () => void;
  /** Resolves when the first batch is waiting at the gate. */
  readonly waiting: Promise<void>;
  private arrived!: () => void;
  constructor() {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
    this.waiting = new Promise((resolve) => {
      this.arrived = resolve;
    });
  }
  async prepare(): Promise<void> {
    const gate = this.gate;
    this.gate = null;
    if (gate === null) return;
    this.arrived();
    await gate;
  }
  decode(record: KafkaRecord): DecodeResult {
    const [id, name] = record.value!.toString('utf8').split(':') as [string, string];
    return { kind: 'change', event: upsert(Number(id), { name }, { topic: record.topic, partition: record.partition, offset: record.offset }) };
  }
}

function batchOf(values: readonly string[], firstOffset = 0n): RecordBatch {
  const records = values.map((value, index) => ({
    topic: TOPIC,
    partition: 0,
    offset: firstOffset + BigInt(index),
    key: null,
    value: Buffer.from(value),
    headers: new Map<string, Buffer>(),
    timestamp: 0,
  }));
  return { topic: TOPIC, partition: 0, records, highWatermark: null };
}

test('a batch that waited across a revocation is dropped, so the re-read newer change is the one that stays', { timeout: 30_000 }, async () => {
  const source = new HandDrivenSource();
  const writer = new TableInMemory();
  const decoder = new GatedDecoder();
  const pipeline = handDrivenPipeline({ source, decoder, writer, controller: new Controller(), maxInflightBytes: 1024 * 1024 });
  await pipeline.start();
  const handlers = source.handlers!;
  try {
    await handlers.onAssigned([PARTITION]);
    // The previous assignment's fetch of offsets 0–1: it waits in prepare() (the gate).
    const stale = handlers.onBatch(batchOf(['1:old', '2:old']));
    await decoder.waiting;
    await handlers.onRevoked([PARTITION]);
    await handlers.onAssigned([PARTITION]);
    // The new assignment reads from the committed offset (nothing was committed) and further.
    await handlers.onBatch(batchOf(['1:old', '2:old', '1:new'], 0n));
    decoder.open();
    await stale;
    await pipeline.stop(5_000);
    assert.equal(await pipeline.finished, null, 'a clean stop');
    assert.deepEqual(
      [...writer.names].sort(([a], [b]) => Number(a - b)),
      [
        [1n, 'new'],
        [2n, 'old'],
      ],
    );
    assert.deepEqual(source.commits.at(-1), { topic: TOPIC, partition: 0, offset: 3n }, 'the re-read records are committed');
  } finally {
    await pipeline.stop(1_000);
  }
});
