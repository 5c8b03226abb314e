/**
 * The conformance harness of the Elasticsearch/OpenSearch writer. Documents are compared instead
 * of rows: `readTable` refreshes the table's index, reads every document's `_source` as raw JSON
 * (so int64 and JSON numbers are not rounded) and turns each field back into the Value
 * representation by the column's logical type.
 *
 * Flavours (see test/integration/elasticsearch/search-server.ts): `opensearch` talks to the real
 * OpenSearch 2.19 (scripts/services.sh up opensearch); `elasticsearch` drives @elastic/elasticsearch
 * through test/support/es-product-proxy.ts in front of the same server, or a real Elasticsearch
 * container with SLUICE_TEST_SERVICES=testcontainers. Each run uses its own index prefix and
 * deletes its indices afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { LogicalType, Row, TableSchema, Value } from '../../src/cdc/types.ts';
import { silentLogger } from '../../src/observe/logger.ts';
import type { TargetTable, Writer } from '../../src/writer/types.ts';
import elasticsearch from '../../connectors/elasticsearch/index.ts';
import { rawArrayElements, rawObjectMembers } from '../../connectors/elasticsearch/document-json.ts';
import { indexName } from '../../connectors/elasticsearch/naming.ts';
import { type Flavour, type SearchServer, startSearchServer } from '../integration/elasticsearch/search-server.ts';
import type { ConformanceHarness } from './harness.ts';

/** A document's field, raw JSON text, back to a Value of the column's type. */
export function decodeField(type: LogicalType, raw: string | undefined): Value {
  if (raw === undefined || raw === 'null') return null;
  switch (type.kind) {
    case 'boolean':
      return raw === 'true';
    case 'int8':
    case 'int16':
    case 'int32':
      return Number(raw);
    case 'int64':
      return BigInt(raw);
    case 'float32':
    case 'float64':
      return raw.startsWith('"') ? Number(JSON.parse(raw) as string) : Number(raw);
    case 'json':
    case 'struct':
      return raw;
    case 'bytes':
      return new Uint8Array(Buffer.from(JSON.parse(raw) as string, 'base64'));
    case 'array':
      return rawArrayElements(raw).map((element) => decodeField(type.element, element));
    default:
      return JSON.parse(raw) as string;
  }
}

/** A JSON column holding the JSON text `null` is stored as a null field: a document cannot tell them apart. */
function normaliseExpected(type: LogicalType, value: Value): Value {
  if ((type.kind === 'json' || type.kind === 'struct') && typeof value === 'string' && value.trim() === 'null') return null;
  return value;
}

export class ElasticsearchHarness implements ConformanceHarness {
  readonly name: string;
  readonly capabilities = {
    // Index names may be 255 bytes: prefix + namespace + '.' + table must fit (see naming.ts).
    maxIdentifierBytes: 160,
    // Rejected one by one: the writer returns the bad change in WriteResult.failures (poison,
    // with the server's reason) and writes the rest of the batch. Dates and timestamps are not
    // among them: their fields are mapped with ignore_malformed (PostgreSQL's 'infinity' must not
    // dead-letter a row), so an unparseable date is kept in _source and only left unindexed.
    poisonCases: [
      { description: 'invalid JSON text', column: { name: 'doc', type: { kind: 'json' }, optional: true }, value: '{not json' },
      { description: 'int32 value beyond the integer mapping', column: { name: 'n', type: { kind: 'int32' }, optional: true }, value: 2 ** 40 },
    ],
    normaliseExpected,
  } as const satisfies ConformanceHarness['capabilities'];

  readonly #flavour: Flavour;
  readonly #prefix = `sluice-conf-${randomBytes(4).toString('hex')}-`;
  #server: SearchServer | null = null;

  constructor(flavour: Flavour) {
    this.#flavour = flavour;
    this.name = flavour === 'opensearch' ? 'elasticsearch (opensearch flavour, OpenSearch 2.19)' : 'elasticsearch (elasticsearch flavour: product proxy to OpenSearch, or Elasticsearch under testcontainers)';
  }

  get server(): SearchServer {
    if (this.#server === null) throw new Error('setUp() first');
    return this.#server;
  }

  async setUp(): Promise<void> {
    this.#server = await startSearchServer(this.#flavour);
  }

  async tearDown(): Promise<void> {
    if (this.#server === null) return;
    await fetch(`${this.#server.adminUrl}/${this.#prefix}*?expand_wildcards=all`, { method: 'DELETE' });
    await this.#server.close();
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      SLUICE_ES_FLAVOUR: this.#flavour,
      SLUICE_ES_NODES: this.server.writerUrl,
      SLUICE_ES_INDEX_PREFIX: this.#prefix,
      SLUICE_ES_INDEX_REPLICAS: '0',
      SLUICE_ES_INDEX_SHARDS: '1',
      ...extra,
    };
  }

  createWriter(): Writer {
    return elasticsearch.createWriter({ logger: silentLogger(), env: this.env() });
  }

  async createNamespace(hint: string): Promise<string> {
    return `${hint}-${randomBytes(3).toString('hex')}`;
  }

  async dropNamespace(): Promise<void> {
    // Every index of the run shares the run's prefix and is deleted in tearDown.
  }

  async readTable(table: TargetTable, schema: TableSchema): Promise<readonly Row[]> {
    return readDocuments(this.server.adminUrl, indexName(this.#prefix, table), schema);
  }
}

/** Every document of an index as rows (an index that does not exist reads as no rows). */
export async function readDocuments(serverUrl: string, index: string, schema: TableSchema): Promise<Row[]> {
  const base = `${serverUrl}/${encodeURIComponent(index)}`;
  const refreshed = await fetch(`${base}/_refresh`, { method: 'POST' });
  if (refreshed.status === 404) return [];
  const answer = await fetch(`${base}/_search?size=10000&track_total_hits=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { match_all: {} }, sort: ['_doc'] }),
  });
  const text = await answer.text();
  if (answer.status !== 200) throw new Error(`reading ${index}: HTTP ${answer.status} ${text.slice(0, 300)}`);
  const hits = rawObjectMembers(rawObjectMembers(text).get('hits') ?? '{}');
  const total = JSON.parse(hits.get('total') ?? '{"value":0}') as { value: number };
  if (total.value > 10_000) throw new Error(`${index} holds ${total.value} documents; readDocuments reads at most 10000`);
  return rawArrayElements(hits.get('hits') ?? '[]').map((hit) => {
    const source = rawObjectMembers(rawObjectMembers(hit).get('_source') ?? '{}');
    return new Map(schema.columns.map((column) => [column.name, decodeField(column.type, source.get(column.name))]));
  });
}
