/**
 * The Elasticsearch/OpenSearch writer against the real OpenSearch 2.19, in both flavours (the
 * Elasticsearch flavour through the product-check proxy): external versioning under out-of-order
 * delivery and replay, per-item poison classification, and a cluster that refuses writes (index
 * write block) reported as backpressure and retried by a loop standing in for the core.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Row, TableSchema, Value } from '../../../src/cdc/types.ts';
import { UNCHANGED } from '../../../src/cdc/types.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import type { RowChange, TableBatch, TargetTable, WriteContext, Writer } from '../../../src/writer/types.ts';
import elasticsearch from '../../../connectors/elasticsearch/index.ts';
import { indexName } from '../../../connectors/elasticsearch/naming.ts';
import { column, tableSchema } from '../../conformance/batches.ts';
import { readDocuments } from '../../conformance/elasticsearch-harness.ts';
import { SeededRandom } from '../../conformance/random.ts';
import { type SearchServer, startSearchServer } from './search-server.ts';
import { type ExpectedState, newestChanges, retryUntilWritten, shuffled, stateOf } from './versioned-changes.ts';

const context: WriteContext = { signal: new AbortController().signal };

const schema: TableSchema = tableSchema(
  [column('id', { kind: 'int64' }, false), column('name', { kind: 'string' }), column('qty', { kind: 'int32' }), column('born', { kind: 'date' })],
  ['id'],
);

function change(kind: 'upsert' | 'delete', id: number, version: bigint, values: Record<string, Value> = {}): RowChange {
  const key: Row = new Map([['id', BigInt(id)]]);
  const origins = [{ topic: 'es-it', partition: 0, offset: version }];
  if (kind === 'delete') return { kind, key, version, origins, sourceTsMs: 0 };
  return { kind, key, row: new Map<string, Value>([['id', BigInt(id)], ...Object.entries(values)]), version, origins, sourceTsMs: 0 };
}

function batch(table: TargetTable, changes: readonly RowChange[], truncateFirst = false): TableBatch {
  return { table, schema, truncateFirst, truncateOrigins: [], changes };
}

let server: SearchServer;

async function documentVersions(index: string): Promise<Map<string, { version: number; seqNo: number }>> {
  await fetch(`${server.adminUrl}/${index}/_refresh`, { method: 'POST' });
  const answer = await fetch(`${server.adminUrl}/${index}/_search?size=10000&version=true&seq_no_primary_term=true`);
  const body = (await answer.json()) as { hits: { hits: { _id: string; _version: number; _seq_no: number }[] } };
  return new Map(body.hits.hits.map((hit) => [hit._id, { version: hit._version, seqNo: hit._seq_no }]));
}

async function setWriteBlock(index: string, blocked: boolean): Promise<void> {
  const answer = await fetch(`${server.adminUrl}/${index}/_settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 'index.blocks.write': blocked }),
  });
  assert.equal(answer.status, 200, await answer.text());
}

function rowsById(rows: readonly Row[]): Map<string, Row> {
  return new Map(rows.map((row) => [String(row.get('id')), row]));
}

function assertState(actual: readonly Row[], expected: ExpectedState, message: string): void {
  const byId = rowsById(actual);
  assert.deepEqual([...byId.keys()].sort(), [...expected.keys()].sort(), `${message}: document ids`);
  for (const [id, values] of expected) {
    const row = byId.get(id);
    for (const [name, value] of Object.entries(values)) assert.deepEqual(row?.get(name), value, `${message}: document ${id} field ${name}`);
  }
}

for (const flavour of ['opensearch', 'elasticsearch'] as const) {
  describe(`elasticsearch writer (${flavour} flavour)`, () => {
    const prefix = `sluice-it-${randomBytes(4).toString('hex')}-`;
    let writer: Writer;
    let tableCounter = 0;
    const newTable = (): TargetTable => ({ namespace: 'it', name: `t${++tableCounter}` });

    before(async () => {
      server = await startSearchServer(flavour);
      writer = elasticsearch.createWriter({
        logger: silentLogger(),
        env: { SLUICE_ES_FLAVOUR: flavour, SLUICE_ES_NODES: server.writerUrl, SLUICE_ES_INDEX_PREFIX: prefix, SLUICE_ES_INDEX_REPLICAS: '0' },
      });
      await writer.open();
    });

    after(async () => {
      await writer?.close();
      await fetch(`${server.adminUrl}/${prefix}*`, { method: 'DELETE' });
      await server?.close();
    });

    it('never regresses a document when older changes arrive after newer ones', async () => {
      const table = newTable();
      const index = indexName(prefix, table);
      await writer.write(batch(table, [change('upsert', 1, 100n, { name: 'v100', qty: 1 }), change('upsert', 2, 200n, { name: 'v200' })]), context);
      // Older upsert, older delete, and an older upsert of a key deleted at a newer version.
      await writer.write(batch(table, [change('delete', 3, 300n)]), context);
      const stale = await writer.write(
        batch(table, [change('upsert', 1, 50n, { name: 'v50', qty: 9 }), change('delete', 2, 150n), change('upsert', 3, 250n, { name: 'v250' })]),
        context,
      );
      assert.deepEqual(stale.failures, [], 'stale writes are no-ops, not failures');
      const afterStale: ExpectedState = new Map<string, Record<string, Value>>([
        ['1', { name: 'v100', qty: 1 }],
        ['2', { name: 'v200' }],
      ]);
      assertState(await readDocuments(server.adminUrl, index, schema), afterStale, 'after stale writes');
      const versions = await documentVersions(index);
      assert.equal(versions.get('1')?.version, 100, 'the document carries its source version');
      // Newer changes still apply, including a partial (TOAST) one.
      await writer.write(batch(table, [change('upsert', 1, 400n, { name: UNCHANGED, qty: 2 }), change('delete', 2, 401n)]), context);
      assertState(await readDocuments(server.adminUrl, index, schema), new Map([['1', { name: 'v100', qty: 2 }]]), 'after newer writes');
    });

    it('converges to the newest version of every key whatever the delivery order (seeded shuffle)', async () => {
      const table = newTable();
      const random = new SeededRandom(flavour === 'opensearch' ? 11 : 12);
      const history: RowChange[] = [];
      let version = 1_000n;
      for (let step = 0; step < 600; step++) {
        const id = random.integer(1, 80);
        version += BigInt(random.integer(1, 5));
        const roll = random.next();
        if (roll < 0.15) history.push(change('delete', id, version));
        else if (roll < 0.3) history.push(change('upsert', id, version, { name: UNCHANGED, qty: random.integer(0, 99) }));
        else history.push(change('upsert', id, version, { name: random.text(10), qty: random.integer(0, 99), born: '2001-02-03' }));
      }
      const expected = stateOf(schema, history);
      const newest = newestChanges(schema, history);
      // Deliver in a shuffled order, in batches where each key appears at most once (the core's
      // compaction guarantee).
      const pending = shuffled(history, random);
      while (pending.length > 0) {
        const keys = new Set<string>();
        const next: RowChange[] = [];
        for (let position = 0; position < pending.length && next.length < 50; ) {
          const candidate = pending[position] as RowChange;
          const key = String(candidate.key.get('id'));
          if (keys.has(key)) {
            position++;
            continue;
          }
          keys.add(key);
          next.push(candidate);
          pending.splice(position, 1);
        }
        const result = await writer.write(batch(table, next), context);
        assert.deepEqual(result.failures, []);
      }
      // The newest change of every key decides its document. A TOAST column of an out-of-order
      // change keeps whatever was stored when it arrived, so it is compared only where the newest
      // change carried the value.
      const actual = rowsById(await readDocuments(server.adminUrl, indexName(prefix, table), schema));
      assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), 'surviving document ids');
      for (const [id, values] of expected) {
        assert.equal(actual.get(id)?.get('qty'), values.qty, `document ${id} qty`);
        const newestChange = newest.get(id);
        if (newestChange?.kind === 'upsert' && newestChange.row.get('name') !== UNCHANGED) {
          assert.equal(actual.get(id)?.get('name'), values.name, `document ${id} name`);
        }
      }
    });

    it('changes nothing when every batch is replayed (no document is even rewritten)', async () => {
      const table = newTable();
      const index = indexName(prefix, table);
      const random = new SeededRandom(21);
      const batches = [0, 1, 2].map((round) =>
        batch(
          table,
          Array.from({ length: 40 }, (_, id) =>
            random.chance(0.2) ? change('delete', id, BigInt(round * 100 + id + 1)) : change('upsert', id, BigInt(round * 100 + id + 1), { name: random.text(8), qty: round }),
          ),
        ),
      );
      for (const written of batches) await writer.write(written, context);
      const before = await documentVersions(index);
      const documents = await readDocuments(server.adminUrl, index, schema);
      for (const written of batches) {
        const result = await writer.write(written, context);
        assert.deepEqual(result.failures, []);
      }
      assert.deepEqual(await documentVersions(index), before, 'versions and sequence numbers are untouched');
      assert.deepEqual(rowsById(await readDocuments(server.adminUrl, index, schema)), rowsById(documents));
    });

    it('reports documents the index rejects as poison with the reason and writes the rest', async () => {
      const table = newTable();
      // Date fields are mapped ignore_malformed (PostgreSQL's 'infinity' must not dead-letter a
      // row), so the unparseable date of document 2 is stored in _source, not rejected.
      const result = await writer.write(
        batch(table, [
          change('upsert', 1, 10n, { name: 'fine', born: '2020-01-01' }),
          change('upsert', 2, 11n, { name: 'not a date', born: '31/12/2020' }),
          change('upsert', 3, 12n, { name: 'not a number', qty: 'many' }),
          change('upsert', 4, 13n, { name: 'fine too' }),
        ]),
        context,
      );
      const failed = new Map(result.failures.map((failure) => [String(failure.change.key.get('id')), failure.error]));
      assert.deepEqual([...failed.keys()].sort(), ['3']);
      for (const error of failed.values()) {
        assert.equal(error.errorClass, 'poison');
        assert.match(error.message, /mapper_parsing_exception|document_parsing_exception/);
      }
      assertState(
        await readDocuments(server.adminUrl, indexName(prefix, table), schema),
        new Map([
          ['1', { name: 'fine' }],
          ['2', { name: 'not a date' }],
          ['4', { name: 'fine too' }],
        ]),
        'valid documents',
      );
    });

    it('reports an index write block as backpressure and loses nothing once the loop retries', async () => {
      const table = newTable();
      const index = indexName(prefix, table);
      await writer.write(batch(table, [change('upsert', 1, 1n, { name: 'before the block' })]), context);
      await setWriteBlock(index, true);
      const changes = Array.from({ length: 30 }, (_, id) => change('upsert', id, BigInt(10 + id), { name: `row ${id}`, qty: id }));
      let attempts = 0;
      const outcome = await retryUntilWritten(writer, batch(table, changes), context, async (failures) => {
        attempts++;
        for (const failure of failures) {
          assert.equal(failure.error.errorClass, 'backpressure', failure.error.message);
          assert.equal(failure.error.code, 'es.cluster_block');
        }
        // The operator lifts the block after the first refusal; the loop keeps retrying only
        // what failed (the core does the same with backoff and partition pausing).
        if (attempts === 1) await setWriteBlock(index, false);
      });
      assert.equal(outcome.firstFailureCount, changes.length, 'every item was refused while the block was on');
      assert.ok(outcome.attempts >= 2);
      assertState(
        await readDocuments(server.adminUrl, index, schema),
        stateOf(schema, changes),
        'every change is written after the block is lifted',
      );
    });

    if (flavour === 'elasticsearch') {
      it('sends the compatible-with=8 media types through the product proxy', (t) => {
        const proxy = server.proxy;
        if (proxy === null) {
          t.skip(`no product proxy in front of ${server.description}: nothing to check`);
          return;
        }
        assert.ok(proxy.compatibleRequests > 0 && proxy.compatibleRequests === proxy.totalRequests, `compatible ${proxy.compatibleRequests} of ${proxy.totalRequests}`);
      });
    }
  });
}
