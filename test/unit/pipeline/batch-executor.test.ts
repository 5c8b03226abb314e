/**
 * The core's error policy, driven by a scripted writer: which changes get written, retried,
 * dead-lettered, and when the service must stop. (Writers against real servers are covered by
 * the conformance suite; this is the policy alone.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SinkError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import { BatchExecutor, FatalPipelineError, type WriteObservation } from '../../../src/pipeline/batch-executor.ts';
import type { RowChange, TableBatch, WriteContext, WriteResult, Writer } from '../../../src/writer/types.ts';
import { seededRandom } from '../../simulation/model/seeded-random.ts';
import { itemsSchema, row } from '../../support/events.ts';

function change(id: number): RowChange {
  return { kind: 'upsert', key: row({ id: BigInt(id) }), row: row({ id: BigInt(id), name: `n${id}` }), version: BigInt(id), origins: [{ topic: 't', partition: 0, offset: BigInt(id) }], sourceTsMs: 0 };
}

function batchOf(ids: number[]): TableBatch {
  return { table: { namespace: 'public', name: 'items' }, schema: itemsSchema, truncateFirst: false, truncateOrigins: [], changes: ids.map(change) };
}

const idOf = (c: RowChange): number => Number(c.key.get('id'));

class ScriptedWriter implements Writer {
  readonly written: number[] = [];
  calls = 0;
  constructor(private readonly behave: (batch: TableBatch, call: number) => WriteResult | SinkError | Error | null) {}
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async write(batch: TableBatch): Promise<WriteResult> {
    const outcome = this.behave(batch, this.calls++);
    if (outcome instanceof Error) throw outcome;
    const failed = new Set((outcome?.failures ?? []).map((failure) => idOf(failure.change)));
    for (const c of batch.changes) if (!failed.has(idOf(c))) this.written.push(idOf(c));
    return outcome ?? { failures: [] };
  }
}

function executorFor(writer: Writer, maxAttempts = 0) {
  const deadLettered: { ids: number[]; code: string }[] = [];
  const observations: WriteObservation[] = [];
  const executor = new BatchExecutor({
    writer,
    retry: { baseMs: 1, maxMs: 2, maxAttempts },
    deadLetter: async (c, _batch, why) => {
      deadLettered.push({ ids: c === null ? [] : [idOf(c)], code: why.code });
    },
    observe: (observation) => observations.push(observation),
    context: () => ({ signal: new AbortController().signal }),
    logger: silentLogger(),
    signal: new AbortController().signal,
    random: () => 0.5,
  });
  return { executor, deadLettered, observations };
}

describe('batch executor policy', () => {
  test('retryable errors are retried until the batch is written', async () => {
    const writer = new ScriptedWriter((_batch, call) => (call < 3 ? new SinkError('retryable', 'connection reset', { code: 'net.reset' }) : null));
    const { executor, observations } = executorFor(writer);
    await executor.execute(batchOf([1, 2, 3]));
    assert.deepEqual(writer.written.sort(), [1, 2, 3]);
    assert.equal(observations.filter((o) => o.errorClass === 'retryable').length, 3);
  });

  test('backpressure is retried and reported to the controller, never dropped', async () => {
    const writer = new ScriptedWriter((_batch, call) => (call < 2 ? new SinkError('backpressure', 'lock timeout', { code: 'pg.55P03' }) : null));
    const { executor, observations } = executorFor(writer, 1);
    await executor.execute(batchOf([1, 2]));
    assert.deepEqual(writer.written.sort(), [1, 2]);
    assert.equal(observations.filter((o) => o.errorClass === 'backpressure').length, 2);
  });

  test('poison is bisected down to the bad changes; everything else is written', async () => {
    const bad = new Set([3, 6]);
    const writer = new ScriptedWriter((batch) => (batch.changes.some((c) => bad.has(idOf(c))) ? new SinkError('poison', 'numeric overflow', { code: 'pg.22003' }) : null));
    const { executor, deadLettered } = executorFor(writer);
    await executor.execute(batchOf([1, 2, 3, 4, 5, 6, 7, 8]));
    assert.deepEqual(writer.written.sort(), [1, 2, 4, 5, 7, 8]);
    assert.deepEqual(deadLettered.map((d) => d.ids[0]).sort(), [3, 6]);
    assert.ok(deadLettered.every((d) => d.code === 'pg.22003'));
  });

  test('per-change failures: poison dead-lettered, rejected items retried alone', async () => {
    const writer = new ScriptedWriter((batch, call) => {
      if (call === 0) {
        return {
          failures: [
            { change: batch.changes[0]!, error: new SinkError('poison', 'mapper_parsing_exception', { code: 'es.mapper_parsing' }) },
            { change: batch.changes[1]!, error: new SinkError('backpressure', 'es_rejected_execution_exception', { code: 'es.rejected' }) },
          ],
        };
      }
      assert.deepEqual(batch.changes.map(idOf), [2], 'only the rejected item is retried');
      return null;
    });
    const { executor, deadLettered } = executorFor(writer);
    await executor.execute(batchOf([1, 2, 3]));
    assert.deepEqual(writer.written.sort(), [2, 3]);
    assert.deepEqual(deadLettered.map((d) => d.ids[0]), [1]);
  });

  test('fatal stops with a clear error and writes nothing more', async () => {
    const writer = new ScriptedWriter(() => new SinkError('fatal', 'password authentication failed', { code: 'pg.28P01' }));
    const { executor } = executorFor(writer);
    await assert.rejects(executor.execute(batchOf([1])), (error: unknown) => error instanceof FatalPipelineError && /password authentication failed/.test(error.message));
    assert.equal(writer.calls, 1);
  });

  test('retryable errors past SLUICE_RETRY_MAX_ATTEMPTS stop the service instead of dropping', async () => {
    const writer = new ScriptedWriter(() => new SinkError('retryable', 'timeout', { code: 'net.timeout' }));
    const { executor } = executorFor(writer, 3);
    await assert.rejects(executor.execute(batchOf([1])), /after 3 attempts/);
    assert.equal(writer.calls, 3);
  });

  test('an unclassified writer error is a bug: the service stops and says so', async () => {
    const writer = new ScriptedWriter(() => new TypeError('cannot read properties of undefined'));
    const { executor } = executorFor(writer);
    await assert.rejects(executor.execute(batchOf([1])), (error: unknown) => error instanceof FatalPipelineError && error.code === 'writer.unclassified');
  });
});

test('execute resolves with exactly the dead-lettered changes, so metrics do not count them as written', async () => {
  const bad = new Set([2, 5]);
  const writer = new ScriptedWriter((batch) => (batch.changes.some((c) => bad.has(idOf(c))) ? new SinkError('poison', 'value too long', { code: 'pg.22001' }) : null));
  const { executor } = executorFor(writer);
  const rejected = await executor.execute(batchOf([1, 2, 3, 4, 5, 6]));
  assert.deepEqual(rejected.map(idOf).sort(), [2, 5]);
  assert.deepEqual(writer.written.sort(), [1, 3, 4, 6]);
});

/**
 * Exactly-once while bisecting: every write records a high-water mark per partition (the
 * PostgreSQL writer's rule: its highest origin offset, capped by the context's ceiling). If the
 * process died right after any write, the restart skips records at or below the mark, so no
 * change of the batch that is still unwritten (and not dead-lettered) may have an origin there.
 */
describe('exactly-once marks while a poison batch is bisected', () => {
  const partitions = [0, 1];

  /** Changes whose offsets interleave across the batch order, as compaction per key leaves them. */
  function interleavedBatch(seed: number, size: number): { batch: TableBatch; poison: Set<number> } {
    const random = seededRandom(seed);
    const offsets = Array.from({ length: size }, (_, index) => index);
    for (let index = offsets.length - 1; index > 0; index -= 1) {
      const other = Math.floor(random.next() * (index + 1));
      [offsets[index], offsets[other]] = [offsets[other]!, offsets[index]!];
    }
    const changes: RowChange[] = offsets.map((offset, index) => {
      const id = index + 1;
      const partition = partitions[Math.floor(random.next() * partitions.length)]!;
      return { ...change(id), origins: [{ topic: 't', partition, offset: BigInt(100 + offset) }] };
    });
    const poison = new Set<number>();
    while (poison.size < 2) poison.add(1 + Math.floor(random.next() * size));
    return { batch: { ...batchOf([]), changes }, poison };
  }

  /** The mark per `${topic}:${partition}` a write of `batch` with `context` may record. */
  function recordableMarks(batch: TableBatch, context: WriteContext): Map<string, bigint> {
    const marks = new Map<string, bigint>();
    for (const origin of [...batch.truncateOrigins, ...batch.changes.flatMap((item) => item.origins)]) {
      const key = `${origin.topic}:${origin.partition}`;
      const known = marks.get(key);
      if (known === undefined || origin.offset > known) marks.set(key, origin.offset);
    }
    for (const [key, highest] of marks) {
      const ceiling = context.exactlyOnce?.offsetCeilings?.get(key);
      if (ceiling !== undefined && ceiling < highest) marks.set(key, ceiling);
    }
    return marks;
  }

  class MarkRecordingWriter implements Writer {
    readonly marks = new Map<string, bigint>();
    readonly written = new Set<number>();
    readonly contexts: WriteContext[] = [];
    readonly violations: string[] = [];
    constructor(
      private readonly original: TableBatch,
      private readonly poison: ReadonlySet<number>,
      private readonly deadLettered: ReadonlySet<number>,
    ) {}
    async open(): Promise<void> {}
    async close(): Promise<void> {}
    async write(batch: TableBatch, context: WriteContext): Promise<WriteResult> {
      this.contexts.push(context);
      if (batch.changes.some((item) => this.poison.has(idOf(item)))) throw new SinkError('poison', 'NUL in text', { code: 'pg.22021' });
      for (const item of batch.changes) this.written.add(idOf(item));
      for (const [key, mark] of recordableMarks(batch, context)) {
        if (mark > (this.marks.get(key) ?? -1n)) this.marks.set(key, mark);
      }
      for (const item of this.original.changes) {
        const id = idOf(item);
        if (this.written.has(id) || this.deadLettered.has(id)) continue;
        for (const origin of item.origins) {
          const mark = this.marks.get(`${origin.topic}:${origin.partition}`);
          if (mark !== undefined && origin.offset <= mark) {
            this.violations.push(`after writing [${batch.changes.map(idOf)}] the mark ${origin.partition}@${mark} covers unwritten change ${id} at offset ${origin.offset}`);
          }
        }
      }
      return { failures: [] };
    }
  }

  function exactlyOnceExecutor(writer: Writer, deadLettered: Set<number>): BatchExecutor {
    const epochs = new Map(partitions.map((partition) => [`t:${partition}`, 1]));
    return new BatchExecutor({
      writer,
      retry: { baseMs: 1, maxMs: 2, maxAttempts: 0 },
      deadLetter: async (item) => {
        if (item !== null) deadLettered.add(idOf(item));
      },
      observe: () => {},
      context: () => ({ signal: new AbortController().signal, exactlyOnce: { group: 'g', epochs } }),
      logger: silentLogger(),
      signal: new AbortController().signal,
      random: () => 0.5,
    });
  }

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`no write's mark covers a change still unwritten (seed ${seed})`, async () => {
      const { batch, poison } = interleavedBatch(seed, 16);
      const deadLettered = new Set<number>();
      const writer = new MarkRecordingWriter(batch, poison, deadLettered);
      const rejected = await exactlyOnceExecutor(writer, deadLettered).execute(batch);
      assert.deepEqual(writer.violations, [], `seed ${seed}`);
      assert.deepEqual(rejected.map(idOf).sort((a, b) => a - b), [...poison].sort((a, b) => a - b));
      const good = batch.changes.map(idOf).filter((id) => !poison.has(id));
      assert.deepEqual([...writer.written].sort((a, b) => a - b), good);
    });
  }

  test('a batch written whole gets the context unchanged: no ceilings', async () => {
    const { batch } = interleavedBatch(9, 8);
    const deadLettered = new Set<number>();
    const writer = new MarkRecordingWriter(batch, new Set(), deadLettered);
    await exactlyOnceExecutor(writer, deadLettered).execute(batch);
    assert.equal(writer.contexts.length, 1);
    assert.equal(writer.contexts[0]?.exactlyOnce?.offsetCeilings, undefined);
  });

  test('without exactly-once the bisection adds no exactly-once context', async () => {
    const bad = new Set([2]);
    const contexts: WriteContext[] = [];
    const writer: Writer = {
      open: async () => {},
      close: async () => {},
      write: async (written, context) => {
        contexts.push(context);
        if (written.changes.some((item) => bad.has(idOf(item)))) throw new SinkError('poison', 'bad', { code: 'x' });
        return { failures: [] };
      },
    };
    const { executor } = executorFor(writer);
    await executor.execute(batchOf([1, 2, 3, 4]));
    assert.ok(contexts.length > 1);
    assert.ok(contexts.every((context) => context.exactlyOnce === undefined));
  });

  test("a truncate's own positions are recorded whole, so its moot records are never replayed without it", async () => {
    const at = (id: number, ...offsets: number[]): RowChange => ({ ...change(id), origins: offsets.map((offset) => ({ topic: 't', partition: 0, offset: BigInt(offset) })) });
    // Change 3 survived the truncate (an event at 20, after it) but also folded one from before it
    // (5); the truncate made a record at 10 moot. Poison: change 2.
    const batch: TableBatch = { ...batchOf([]), truncateFirst: true, truncateOrigins: [{ topic: 't', partition: 0, offset: 10n }], changes: [at(1, 15), at(2, 40), at(3, 5, 20), at(4, 25)] };
    const writes: { truncate: boolean; ids: number[]; marks: Map<string, bigint> }[] = [];
    const writer: Writer = {
      open: async () => {},
      close: async () => {},
      write: async (written, context) => {
        if (written.changes.some((item) => idOf(item) === 2)) throw new SinkError('poison', 'NUL in text', { code: 'pg.22021' });
        writes.push({ truncate: written.truncateFirst, ids: written.changes.map(idOf), marks: recordableMarks(written, context) });
        return { failures: [] };
      },
    };
    const deadLettered = new Set<number>();
    await exactlyOnceExecutor(writer, deadLettered).execute(batch);
    assert.deepEqual([...deadLettered], [2]);
    const truncating = writes.filter((write) => write.truncate);
    assert.equal(truncating.length, 1);
    // 10, not 4 (below change 3's older origin): the record at 10 stays skipped on a restart,
    // while change 3's newest event (20) is above the mark and would be replayed.
    assert.equal(truncating[0]?.marks.get('t:0'), 10n);
    assert.deepEqual(writes.flatMap((write) => write.ids).sort((a, b) => a - b), [1, 3, 4]);
  });
});

test('a truncate whose only remaining change is poison is still written, before the change is dead-lettered', async () => {
  const bad = new Set([1]);
  const batch: TableBatch = { ...batchOf([1, 2]), truncateFirst: true, truncateOrigins: [{ topic: 't', partition: 0, offset: 0n }] };
  const truncates: number[][] = [];
  const writer = new ScriptedWriter((written) => {
    if (written.changes.some((c) => bad.has(idOf(c)))) return new SinkError('poison', 'value too long', { code: 'pg.22001' });
    if (written.truncateFirst) truncates.push(written.changes.map(idOf));
    return null;
  });
  const { executor, deadLettered } = executorFor(writer);
  await executor.execute(batch);
  assert.deepEqual(truncates, [[]], 'the truncate ran once, on its own');
  assert.deepEqual(deadLettered.map((d) => d.ids), [[1]]);
  assert.deepEqual(writer.written, [2]);
});
