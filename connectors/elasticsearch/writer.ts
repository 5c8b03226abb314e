/**
 * The Elasticsearch/OpenSearch writer: one TableBatch → one index, written with _bulk.
 *
 * - Upserts are `index` actions with the whole document and `version_type=external` (or
 *   external_gte) carrying RowChange.version; deletes are versioned `delete` actions. The server
 *   keeps the highest version, so replays and out-of-order deliveries never regress a document.
 * - Upserts with UNCHANGED (TOAST) or missing columns: neither OpenSearch 2.19 nor Elasticsearch 8
 *   accept a version on `update` ("Update requests do not support versioning"), and an unversioned
 *   partial update could overwrite a newer document. So the writer reads the stored documents
 *   (one _mget per batch for those rows only, raw JSON so nothing is rounded), fills the unchanged
 *   fields from them and writes a complete, externally versioned `index` action. A stored version
 *   at or above the change's makes the change a no-op. This read-merge-write is safe because the
 *   core never has two batches for the same key in flight.
 * - truncateFirst empties the index (delete-by-query or drop and recreate) before the changes.
 * - Per-item results become WriteResult.failures classified by errors.ts; everything not listed
 *   is durable (the _bulk answered after the translog write).
 */
import type { TableSchema } from '../../src/cdc/types.ts';
import { isSinkError, SinkError } from '../../src/errors.ts';
import type { Logger } from '../../src/observe/logger.ts';
import type { RowFailure, TableBatch, UpsertChange, WriteContext, WriteResult, Writer } from '../../src/writer/types.ts';
import { type BulkAction, type BulkRequest, groupIntoRequests, MAX_EXTERNAL_VERSION } from './bulk.ts';
import { createSearchClient, type HttpRequest, type HttpResponse, type SearchClient } from './client.ts';
import { describeConfig, type ElasticsearchConfig } from './config.ts';
import { encodeDocument, isPartialRow, rawArrayElements, rawObjectMembers, UnencodableValueError } from './document-json.ts';
import { classifyResponse, classifyServerError, classifyTransportError, itemSucceeded, type ServerError } from './errors.ts';
import { indexMappings } from './mapping.ts';
import { documentId, indexName, InvalidKeyError } from './naming.ts';

interface BulkItemAnswer {
  readonly status: number;
  readonly error?: ServerError;
}

interface StoredDocument {
  readonly version: bigint;
  /** Raw JSON text of each stored field; null when the index does not keep _source. */
  readonly fields: ReadonlyMap<string, string> | null;
}

export class ElasticsearchWriter implements Writer {
  readonly #config: ElasticsearchConfig;
  readonly #logger: Logger;
  #client: SearchClient | null = null;
  /** Index name → schema fingerprints whose mappings are known to be in place. */
  readonly #ensured = new Map<string, Set<string>>();
  readonly #ensuring = new Map<string, Promise<void>>();

  constructor(config: ElasticsearchConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
  }

  async open(): Promise<void> {
    this.#logger.info({ event: 'writer-config', destination: 'elasticsearch', config: describeConfig(this.#config) }, 'elasticsearch writer settings');
    this.#client = await createSearchClient(this.#config);
    const answer = await this.#sendOrClassify({ method: 'GET', path: '/' }, AbortSignal.timeout(this.#config.requestTimeoutMs));
    if (answer.statusCode !== 200) throw classifyResponse(answer.statusCode, answer.body);
    const info = JSON.parse(answer.body) as { version?: { number?: string; distribution?: string }; cluster_name?: string };
    this.#logger.info(
      { event: 'writer-connected', cluster: info.cluster_name, distribution: info.version?.distribution ?? 'elasticsearch', version: info.version?.number },
      'connected to the search cluster',
    );
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    await client?.close();
  }

  async write(batch: TableBatch, context: WriteContext): Promise<WriteResult> {
    const index = indexName(this.#config.indexPrefix, batch.table);
    await this.#ensureIndex(index, batch.schema, context.signal);
    if (batch.truncateFirst) await this.#truncate(index, batch.schema, context.signal);

    const failures: RowFailure[] = [];
    const actions: BulkAction[] = [];
    const partial: { change: UpsertChange; id: string }[] = [];
    for (const change of batch.changes) {
      try {
        if (change.version < 0n || change.version > MAX_EXTERNAL_VERSION) {
          throw new SinkError('poison', `version ${change.version} is outside the external version range 0..2^63-1`, { code: 'es.version_out_of_range' });
        }
        const id = documentId(batch.schema.key, change.key);
        if (change.kind === 'delete') actions.push({ change, operation: 'delete', id });
        else if (isPartialRow(batch.schema, change.row)) partial.push({ change, id });
        else actions.push({ change, operation: 'index', id, source: encodeDocument(batch.schema, change.row, null) });
      } catch (error) {
        failures.push({ change, error: this.#asPoison(error) });
      }
    }
    if (partial.length > 0) actions.push(...(await this.#mergePartialRows(index, batch.schema, partial, failures, context.signal)));

    const requests = groupIntoRequests(index, actions, this.#config.versionType, this.#config.bulkMaxBytes, this.#config.bulkMaxActions);
    for (const [position, request] of requests.entries()) {
      if (context.signal.aborted) {
        const aborted = new SinkError('retryable', 'write stopped: the service is shutting down', { code: 'es.aborted' });
        for (const pending of requests.slice(position)) for (const action of pending.actions) failures.push({ change: action.change, error: aborted });
        break;
      }
      try {
        failures.push(...(await this.#sendBulk(index, request, context.signal)));
      } catch (error) {
        const sinkError = isSinkError(error) ? error : classifyTransportError(error);
        // A lone document refused as a whole request (too large) is that document's failure.
        if (sinkError.errorClass === 'poison' && request.actions.length === 1) {
          failures.push({ change: (request.actions[0] as BulkAction).change, error: sinkError });
          continue;
        }
        // Nothing written yet: the whole batch failed. Otherwise report the rest per change so
        // the core retries only what was not written.
        if (position === 0 || sinkError.errorClass === 'fatal') throw sinkError;
        for (const pending of requests.slice(position)) for (const action of pending.actions) failures.push({ change: action.change, error: sinkError });
        break;
      }
    }
    this.#logBlocks(index, failures);
    return { failures };
  }

  #asPoison(error: unknown): SinkError {
    if (isSinkError(error)) return error;
    if (error instanceof InvalidKeyError) return new SinkError('poison', error.message, { code: 'es.invalid_key', cause: error });
    if (error instanceof UnencodableValueError) return new SinkError('poison', error.message, { code: 'es.unencodable_value', cause: error });
    throw error;
  }

  async #sendBulk(index: string, request: BulkRequest, signal: AbortSignal): Promise<RowFailure[]> {
    const query: Record<string, string> = {};
    if (this.#config.refresh !== 'false') query.refresh = this.#config.refresh;
    const answer = await this.#send({ method: 'POST', path: '/_bulk', query, ndjson: request.body }, signal);
    if (answer.statusCode !== 200) {
      const error = classifyResponse(answer.statusCode, answer.body);
      if (error.code === 'es.request_too_large' && request.actions.length === 1) {
        throw new SinkError('poison', `document alone is larger than the cluster accepts (${request.bytes} bytes)`, { code: error.code });
      }
      if (error.code === 'es.index_not_found') this.#ensured.delete(index);
      throw error;
    }
    const parsed = JSON.parse(answer.body) as { errors?: boolean; items?: Record<string, BulkItemAnswer>[] };
    const items = parsed.items ?? [];
    if (items.length !== request.actions.length) {
      throw new SinkError('retryable', `_bulk answered ${items.length} items for ${request.actions.length} actions`, { code: 'es.bulk_item_count' });
    }
    const failures: RowFailure[] = [];
    if (parsed.errors !== true) return failures;
    for (const [position, action] of request.actions.entries()) {
      const answerItem = items[position]?.[action.operation];
      const status = answerItem?.status ?? 0;
      if (itemSucceeded(action.operation, status, answerItem?.error)) continue;
      const error = classifyServerError(status, answerItem?.error, 'item');
      if (error.code === 'es.index_not_found') this.#ensured.delete(index);
      failures.push({ change: action.change, error });
    }
    return failures;
  }

  /**
   * Complete documents for rows with unchanged columns, from the stored documents. A row whose
   * stored version is already at or past the change is dropped here (the server would answer 409).
   */
  async #mergePartialRows(
    index: string,
    schema: TableSchema,
    partial: readonly { change: UpsertChange; id: string }[],
    failures: RowFailure[],
    signal: AbortSignal,
  ): Promise<BulkAction[]> {
    const stored = await this.#readStored(index, [...new Set(partial.map((item) => item.id))], signal);
    const actions: BulkAction[] = [];
    for (const { change, id } of partial) {
      const current = stored.get(id);
      const stale = current !== undefined && (this.#config.versionType === 'external' ? current.version >= change.version : current.version > change.version);
      if (stale) continue;
      if (current !== undefined && current.fields === null) {
        failures.push({
          change,
          error: new SinkError('poison', `index ${index} does not keep _source, so unchanged (TOAST) columns cannot be preserved`, { code: 'es.no_source' }),
        });
        continue;
      }
      try {
        actions.push({ change, operation: 'index', id, source: encodeDocument(schema, change.row, current?.fields ?? null) });
      } catch (error) {
        failures.push({ change, error: this.#asPoison(error) });
      }
    }
    return actions;
  }

  async #readStored(index: string, ids: readonly string[], signal: AbortSignal): Promise<Map<string, StoredDocument>> {
    const stored = new Map<string, StoredDocument>();
    const answer = await this.#sendOrClassify({ method: 'POST', path: `/${encodeURIComponent(index)}/_mget`, json: { ids } }, signal);
    if (answer.statusCode !== 200) throw classifyResponse(answer.statusCode, answer.body);
    const docs = rawObjectMembers(answer.body).get('docs');
    for (const docText of docs === undefined ? [] : rawArrayElements(docs)) {
      const doc = rawObjectMembers(docText);
      const errorText = doc.get('error');
      if (errorText !== undefined) throw classifyServerError(404, JSON.parse(errorText) as ServerError, 'request');
      if (doc.get('found') !== 'true') continue;
      const id = JSON.parse(doc.get('_id') ?? '""') as string;
      const source = doc.get('_source');
      stored.set(id, { version: BigInt(doc.get('_version') ?? '0'), fields: source === undefined ? null : rawObjectMembers(source) });
    }
    return stored;
  }

  async #ensureIndex(index: string, schema: TableSchema, signal: AbortSignal): Promise<void> {
    if (this.#ensured.get(index)?.has(schema.fingerprint)) return;
    const key = `${index}\u0000${schema.fingerprint}`;
    let pending = this.#ensuring.get(key);
    if (pending === undefined) {
      pending = this.#createOrExtendIndex(index, schema, signal).finally(() => this.#ensuring.delete(key));
      this.#ensuring.set(key, pending);
    }
    await pending;
    let fingerprints = this.#ensured.get(index);
    if (fingerprints === undefined) {
      fingerprints = new Set();
      this.#ensured.set(index, fingerprints);
    }
    fingerprints.add(schema.fingerprint);
  }

  async #createOrExtendIndex(index: string, schema: TableSchema, signal: AbortSignal): Promise<void> {
    const path = `/${encodeURIComponent(index)}`;
    const mode = this.#config.indexCreation;
    const mappings = indexMappings(schema, this.#config.decimalMapping);
    const existing = await this.#sendOrClassify({ method: 'GET', path: `${path}/_mapping` }, signal);
    if (existing.statusCode === 404) {
      if (mode === 'never') {
        throw new SinkError('fatal', `index ${index} does not exist and SLUICE_ES_INDEX_CREATION=never`, { code: 'es.index_missing' });
      }
      const settings: Record<string, number> = {};
      if (this.#config.indexShards !== null) settings.number_of_shards = this.#config.indexShards;
      if (this.#config.indexReplicas !== null) settings.number_of_replicas = this.#config.indexReplicas;
      const body: Record<string, unknown> = {};
      if (Object.keys(settings).length > 0) body.settings = { index: settings };
      if (mode === 'derived') body.mappings = mappings;
      const created = await this.#sendOrClassify({ method: 'PUT', path, json: body }, signal);
      if (created.statusCode === 200) {
        this.#logger.info({ event: 'index-created', index, mode }, 'created index');
        return;
      }
      if (!created.body.includes('resource_already_exists_exception')) throw classifyResponse(created.statusCode, created.body);
      return this.#createOrExtendIndex(index, schema, signal);
    }
    if (existing.statusCode !== 200) throw classifyResponse(existing.statusCode, existing.body);
    if (mode !== 'derived') return;
    // An existing index (ours, or an operator's) keeps its mapping; only new columns are added.
    const current = JSON.parse(existing.body) as Record<string, { mappings?: { properties?: Record<string, unknown> } }>;
    const known = new Set(Object.values(current).flatMap((entry) => Object.keys(entry.mappings?.properties ?? {})));
    const missing = Object.fromEntries(Object.entries(mappings.properties).filter(([name]) => !known.has(name)));
    if (Object.keys(missing).length === 0) return;
    const extended = await this.#sendOrClassify({ method: 'PUT', path: `${path}/_mapping`, json: { properties: missing } }, signal);
    if (extended.statusCode !== 200) {
      const error = classifyResponse(extended.statusCode, extended.body);
      if (error.errorClass === 'poison' || error.errorClass === 'fatal') {
        // A conflicting mapping is the operator's choice; documents that do not fit it are
        // rejected one by one (poison) with the server's reason.
        this.#logger.warn({ event: 'index-mapping-not-extended', index, reason: error.message }, 'could not add mappings for new columns');
        return;
      }
      throw error;
    }
    this.#logger.info({ event: 'index-mapping-extended', index, fields: Object.keys(missing) }, 'added mappings for new columns');
  }

  async #truncate(index: string, schema: TableSchema, signal: AbortSignal): Promise<void> {
    const path = `/${encodeURIComponent(index)}`;
    if (this.#config.truncateMode === 'recreate') {
      const dropped = await this.#sendOrClassify({ method: 'DELETE', path }, signal);
      if (dropped.statusCode !== 200 && dropped.statusCode !== 404) throw classifyResponse(dropped.statusCode, dropped.body);
      this.#ensured.delete(index);
      await this.#ensureIndex(index, schema, signal);
    } else {
      // delete-by-query only sees searchable documents: make the latest writes searchable first.
      const refreshed = await this.#sendOrClassify({ method: 'POST', path: `${path}/_refresh` }, signal);
      if (refreshed.statusCode !== 200 && refreshed.statusCode !== 404) throw classifyResponse(refreshed.statusCode, refreshed.body);
      const emptied = await this.#sendOrClassify(
        {
          method: 'POST',
          path: `${path}/_delete_by_query`,
          query: { conflicts: 'proceed', refresh: 'true', wait_for_completion: 'true' },
          json: { query: { match_all: {} } },
        },
        signal,
      );
      if (emptied.statusCode !== 200 && emptied.statusCode !== 404) throw classifyResponse(emptied.statusCode, emptied.body);
    }
    this.#logger.info({ event: 'index-truncated', index, mode: this.#config.truncateMode }, 'emptied index for a source TRUNCATE');
  }

  #logBlocks(index: string, failures: readonly RowFailure[]): void {
    const blocked = failures.find((failure) => failure.error.code === 'es.cluster_block');
    if (blocked !== undefined) {
      this.#logger.warn({ event: 'index-write-blocked', index, reason: blocked.error.message }, 'index refuses writes; changes will be retried');
    }
  }

  async #send(request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const client = this.#client;
    if (client === null) throw new SinkError('fatal', 'writer used before open()', { code: 'es.not_open' });
    return client.send(request, signal);
  }

  /** Like #send, but a transport failure becomes a classified SinkError. */
  async #sendOrClassify(request: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    try {
      return await this.#send(request, signal);
    } catch (error) {
      throw isSinkError(error) ? error : classifyTransportError(error);
    }
  }
}
