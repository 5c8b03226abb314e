/**
 * The writer's optional modes against the real OpenSearch 2.19: index creation `never` and
 * `template`, truncate by `recreate`, `external_gte` versioning; and its start-up and auth
 * failures (an unreachable node, a server answering 401) classified as the core expects.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Row, Value } from '../../../src/cdc/types.ts';
import { isSinkError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import type { RowChange, TableBatch, TargetTable, WriteContext, Writer } from '../../../src/writer/types.ts';
import elasticsearch from '../../../connectors/elasticsearch/index.ts';
import { indexName } from '../../../connectors/elasticsearch/naming.ts';
import { column, tableSchema } from '../../conformance/batches.ts';
import { readDocuments } from '../../conformance/elasticsearch-harness.ts';
import { type SearchServer, startSearchServer } from './search-server.ts';

const context: WriteContext = { signal: new AbortController().signal };
const schema = tableSchema([column('id', { kind: 'int32' }, false), column('name', { kind: 'string' })], ['id']);

function upsert(id: number, version: bigint, name: string): RowChange {
  const key: Row = new Map([['id', id]]);
  return { kind: 'upsert', key, row: new Map<string, Value>([['id', id], ['name', name]]), version, origins: [], sourceTsMs: 0 };
}

function batch(table: TargetTable, changes: readonly RowChange[], truncateFirst = false): TableBatch {
  return { table, schema, truncateFirst, truncateOrigins: [], changes };
}

async function rejectsWith(promise: Promise<unknown>, errorClass: string, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isSinkError(error), String(error));
    assert.equal(error.errorClass, errorClass, error.message);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe('elasticsearch writer modes', () => {
  const prefix = `sluice-modes-${randomBytes(4).toString('hex')}-`;
  let server: SearchServer;
  const writers: Writer[] = [];
  const openWriter = async (extra: Record<string, string>): Promise<Writer> => {
    const writer = elasticsearch.createWriter({
      logger: silentLogger(),
      env: { SLUICE_ES_FLAVOUR: 'opensearch', SLUICE_ES_NODES: server.writerUrl, SLUICE_ES_INDEX_PREFIX: prefix, SLUICE_ES_INDEX_REPLICAS: '0', ...extra },
    });
    await writer.open();
    writers.push(writer);
    return writer;
  };
  const mappingOf = async (index: string): Promise<Record<string, unknown>> => {
    const body = (await (await fetch(`${server.adminUrl}/${index}/_mapping`)).json()) as Record<string, { mappings: { properties?: Record<string, unknown> } }>;
    return body[index]?.mappings.properties ?? {};
  };

  before(async () => {
    server = await startSearchServer('opensearch');
  });

  after(async () => {
    for (const writer of writers) await writer.close();
    await fetch(`${server.adminUrl}/${prefix}*`, { method: 'DELETE' });
    await server?.close();
  });

  it('never: a missing index is fatal, an existing one is used as it is', async () => {
    const writer = await openWriter({ SLUICE_ES_INDEX_CREATION: 'never' });
    const table: TargetTable = { namespace: 'modes', name: 'never' };
    await rejectsWith(writer.write(batch(table, [upsert(1, 1n, 'a')]), context), 'fatal', 'es.index_missing');
    const index = indexName(prefix, table);
    await fetch(`${server.adminUrl}/${index}`, { method: 'PUT' });
    assert.deepEqual((await writer.write(batch(table, [upsert(1, 1n, 'a')]), context)).failures, []);
    assert.deepEqual(Object.keys(await mappingOf(index)).sort(), ['id', 'name'], 'dynamic mapping, nothing added by the writer');
  });

  it('template: creates the index without mappings, derived: with them', async () => {
    const template = await openWriter({ SLUICE_ES_INDEX_CREATION: 'template' });
    const derived = await openWriter({});
    const templateTable: TargetTable = { namespace: 'modes', name: 'template' };
    const derivedTable: TargetTable = { namespace: 'modes', name: 'derived' };
    await template.write(batch(templateTable, [upsert(1, 1n, 'a')]), context);
    await derived.write(batch(derivedTable, [upsert(1, 1n, 'a')]), context);
    const dynamic = (await mappingOf(indexName(prefix, templateTable))).id as { type?: string };
    const explicit = (await mappingOf(indexName(prefix, derivedTable))).id as { type?: string };
    assert.equal(dynamic.type, 'long', 'dynamic mapping of a JSON number');
    assert.equal(explicit.type, 'keyword', 'derived mapping: keys are keywords');
  });

  it('truncate by recreate empties the index and writes the batch', async () => {
    const writer = await openWriter({ SLUICE_ES_TRUNCATE_MODE: 'recreate' });
    const table: TargetTable = { namespace: 'modes', name: 'recreate' };
    await writer.write(batch(table, [upsert(1, 1n, 'a'), upsert(2, 2n, 'b')]), context);
    await writer.write(batch(table, [upsert(3, 3n, 'c')], true), context);
    const rows = await readDocuments(server.adminUrl, indexName(prefix, table), schema);
    assert.deepEqual(rows.map((row) => row.get('id')), [3]);
  });

  it('the elasticsearch flavour pointed at OpenSearch without the proxy stops with a clear message', async () => {
    const writer = elasticsearch.createWriter({ logger: silentLogger(), env: { SLUICE_ES_FLAVOUR: 'elasticsearch', SLUICE_ES_NODES: server.adminUrl } });
    await rejectsWith(writer.open(), 'fatal', 'es.product_not_supported');
    await writer.close();
  });

  it('external_gte: an equal version rewrites, an older one is still refused', async () => {
    const writer = await openWriter({ SLUICE_ES_VERSION_TYPE: 'external_gte' });
    const table: TargetTable = { namespace: 'modes', name: 'gte' };
    await writer.write(batch(table, [upsert(1, 10n, 'first')]), context);
    await writer.write(batch(table, [upsert(1, 10n, 'same version')]), context);
    await writer.write(batch(table, [upsert(1, 9n, 'older')]), context);
    const rows = await readDocuments(server.adminUrl, indexName(prefix, table), schema);
    assert.deepEqual(rows.map((row) => row.get('name')), ['same version']);
  });
});

describe('elasticsearch writer against servers that refuse', () => {
  let fake: Server;
  let fakeUrl: string;

  before(async () => {
    fake = createServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="security"' });
      response.end(JSON.stringify({ error: { type: 'security_exception', reason: 'unable to authenticate user [writer]' }, status: 401 }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });

  after(async () => {
    fake.closeAllConnections();
    await new Promise<void>((resolve) => fake.close(() => resolve()));
  });

  for (const flavour of ['opensearch', 'elasticsearch'] as const) {
    it(`${flavour}: 401 at open() is fatal and the password is not in the message`, async () => {
      const writer = elasticsearch.createWriter({
        logger: silentLogger(),
        env: { SLUICE_ES_FLAVOUR: flavour, SLUICE_ES_NODES: fakeUrl, SLUICE_ES_USERNAME: 'writer', SLUICE_ES_PASSWORD: 'hunter2-secret' },
      });
      await assert.rejects(writer.open(), (error: unknown) => {
        assert.ok(isSinkError(error), String(error));
        assert.equal(error.errorClass, 'fatal');
        assert.equal(error.code, 'es.unauthorized');
        assert.ok(!error.message.includes('hunter2-secret'));
        return true;
      });
      await writer.close();
    });
  }

  it('a lone document the server refuses as too large is a poison failure; the rest is written', async () => {
    const limit = 2_000;
    const bulkSizes: number[] = [];
    const tooLarge = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        response.setHeader('content-type', 'application/json');
        if (request.url === '/') return response.end(JSON.stringify({ version: { distribution: 'opensearch', number: '2.19.1' } }));
        if (request.url?.endsWith('/_mapping')) return response.end(JSON.stringify({ index: { mappings: { properties: { id: {}, name: {} } } } }));
        bulkSizes.push(body.length);
        if (body.length > limit) {
          response.statusCode = 413;
          return response.end();
        }
        const items = body.trim().split('\n').filter((line) => line.startsWith('{"index"')).map(() => ({ index: { status: 201 } }));
        return response.end(JSON.stringify({ errors: false, items }));
      });
    });
    await new Promise<void>((resolve) => tooLarge.listen(0, '127.0.0.1', resolve));
    try {
      const writer = elasticsearch.createWriter({
        logger: silentLogger(),
        env: { SLUICE_ES_FLAVOUR: 'opensearch', SLUICE_ES_NODES: `http://127.0.0.1:${(tooLarge.address() as AddressInfo).port}`, SLUICE_ES_BULK_MAX_BYTES: '1500' },
      });
      await writer.open();
      const small = upsert(1, 1n, 'small');
      const huge = upsert(2, 2n, 'x'.repeat(5_000));
      const result = await writer.write(batch({ namespace: 'fake', name: 't' }, [small, huge, upsert(3, 3n, 'also small')]), context);
      await writer.close();
      assert.equal(result.failures.length, 1);
      assert.equal(result.failures[0]?.change, huge);
      assert.equal(result.failures[0]?.error.errorClass, 'poison');
      assert.equal(result.failures[0]?.error.code, 'es.request_too_large');
      assert.equal(bulkSizes.length, 3, 'small, huge (alone) and small again, as separate requests');
    } finally {
      tooLarge.closeAllConnections();
      await new Promise<void>((resolve) => tooLarge.close(() => resolve()));
    }
  });

  it('an unreachable node at open() is retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const writer = elasticsearch.createWriter({ logger: silentLogger(), env: { SLUICE_ES_FLAVOUR: 'opensearch', SLUICE_ES_NODES: `http://127.0.0.1:${port}` } });
    await rejectsWith(writer.open(), 'retryable', 'es.connection');
    await writer.close();
  });
});
