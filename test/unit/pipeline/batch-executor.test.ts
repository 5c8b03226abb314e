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
import type { RowChange, TableBatch, WriteResult, Writer } from '../../../src/writer/types.ts';
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
