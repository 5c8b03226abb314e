/**
 * A cluster that is too busy: a dedicated OpenSearch 2.19 node whose write thread pool queue holds
 * one task (thread_pool.write.queue_size=1, set by scripts/services.sh through
 * SLUICE_OPENSEARCH_WRITE_QUEUE_SIZE) receives concurrent bulk writes. Its real 429
 * rejected_execution_exception answers must come back as per-item backpressure failures, and a
 * loop that re-submits only the failed changes (as the core does) must end with every document
 * written: nothing lost, nothing duplicated.
 *
 * Locally the node has its own state folder and port (9250 unless
 * SLUICE_TEST_OPENSEARCH_TINY_QUEUE_PORT) and is stopped and removed afterwards; the shared node on
 * 9200 is not touched. With SLUICE_TEST_SERVICES=testcontainers it is a container.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Row, TableSchema, Value } from '../../../src/cdc/types.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import type { RowChange, RowFailure, TableBatch, TargetTable, WriteContext, Writer } from '../../../src/writer/types.ts';
import elasticsearch from '../../../connectors/elasticsearch/index.ts';
import { indexName } from '../../../connectors/elasticsearch/naming.ts';
import { column, tableSchema } from '../../conformance/batches.ts';
import { SeededRandom } from '../../conformance/random.ts';
import { type SearchServer, startDedicatedOpenSearch } from './search-server.ts';
import { retryUntilWritten } from './versioned-changes.ts';

const context: WriteContext = { signal: new AbortController().signal };
const schema: TableSchema = tableSchema([column('id', { kind: 'int64' }, false), column('body', { kind: 'string' }), column('n', { kind: 'int32' })], ['id']);

function upsert(id: number, version: bigint, values: Record<string, Value>): RowChange {
  const key: Row = new Map([['id', BigInt(id)]]);
  return { kind: 'upsert', key, row: new Map<string, Value>([['id', BigInt(id)], ...Object.entries(values)]), version, origins: [], sourceTsMs: 0 };
}

describe('elasticsearch writer against a node with a one-slot write queue (real 429 rejections)', () => {
  let writer: Writer;
  let server: SearchServer;
  const table: TargetTable = { namespace: 'rejections', name: 'items' };

  before(async () => {
    server = await startDedicatedOpenSearch({ writeQueueSize: 1 });
    const queue = await (await fetch(`${server.adminUrl}/_cat/thread_pool/write?h=queue_size`)).text();
    assert.equal(queue.trim(), '1', `${server.description} must run with a one-slot write queue`);
    writer = elasticsearch.createWriter({
      logger: silentLogger(),
      env: { SLUICE_ES_FLAVOUR: 'opensearch', SLUICE_ES_NODES: server.writerUrl, SLUICE_ES_INDEX_SHARDS: '8', SLUICE_ES_INDEX_REPLICAS: '0', SLUICE_ES_BULK_MAX_ACTIONS: '500' },
    });
    await writer.open();
  });

  after(async () => {
    await writer?.close();
    await server?.close();
  });

  it('classifies rejections as backpressure and the retry loop writes every change', async (t) => {
    const random = new SeededRandom(31);
    const lanes = 4;
    const perLane = 1_000;
    const batches: TableBatch[] = Array.from({ length: lanes }, (_, lane) => ({
      table,
      schema,
      truncateFirst: false,
      truncateOrigins: [],
      changes: Array.from({ length: perLane }, (_, index) => {
        const id = lane * perLane + index;
        return upsert(id, BigInt(id + 1), { body: random.text(120), n: index });
      }),
    }));
    // The first write creates the index outside the race.
    await writer.write({ ...(batches[0] as TableBatch), changes: (batches[0] as TableBatch).changes.slice(0, 1) }, context);

    const seen: RowFailure[] = [];
    const outcomes = await Promise.all(
      batches.map((batch) =>
        retryUntilWritten(writer, batch, context, async (failures) => {
          seen.push(...failures);
        }),
      ),
    );
    const retried = outcomes.reduce((sum, outcome) => sum + outcome.retriedChanges, 0);
    assert.ok(seen.length > 0, 'the one-slot queue must have rejected some items');
    for (const failure of seen) {
      assert.equal(failure.error.errorClass, 'backpressure', failure.error.message);
      assert.equal(failure.error.code, 'es.rejected_execution');
    }
    t.diagnostic(`rejected items: ${seen.length}, retried changes: ${retried}, attempts per lane: ${outcomes.map((outcome) => outcome.attempts).join(',')}`);

    const index = indexName('', table);
    await fetch(`${server.adminUrl}/${index}/_refresh`, { method: 'POST' });
    const count = (await (await fetch(`${server.adminUrl}/${index}/_count`)).json()) as { count: number };
    assert.equal(count.count, lanes * perLane, 'every change is a document exactly once');
    const sample = (await (await fetch(`${server.adminUrl}/${index}/_doc/${lanes * perLane - 1}`)).json()) as { _version: number; _source: { n: number } };
    assert.equal(sample._version, lanes * perLane, 'documents carry their source version');
    assert.equal(sample._source.n, perLane - 1);
  });
});
