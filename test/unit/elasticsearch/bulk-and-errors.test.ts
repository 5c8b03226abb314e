/** Bulk request sizing and answer classification (bulk.ts, errors.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RowChange } from '../../../src/writer/types.ts';
import { actionLines, type BulkAction, groupIntoRequests } from '../../../connectors/elasticsearch/bulk.ts';
import { classifyResponse, classifyServerError, classifyTransportError, itemSucceeded } from '../../../connectors/elasticsearch/errors.ts';

function indexAction(id: number, size: number): BulkAction {
  const change: RowChange = { kind: 'upsert', key: new Map([['id', id]]), row: new Map(), version: BigInt(id + 1), origins: [], sourceTsMs: 0 };
  return { change, operation: 'index', id: String(id), source: JSON.stringify({ pad: 'x'.repeat(size) }) };
}

describe('elasticsearch bulk requests', () => {
  it('writes versioned action lines', () => {
    const action = indexAction(1, 1);
    assert.equal(actionLines('i', action, 'external'), '{"index":{"_index":"i","_id":"1","version":2,"version_type":"external"}}\n{"pad":"x"}\n');
    const remove: BulkAction = { change: { ...action.change, kind: 'delete', version: 2n ** 63n - 1n }, operation: 'delete', id: 'a"b' };
    assert.equal(actionLines('i', remove, 'external_gte'), '{"delete":{"_index":"i","_id":"a\\"b","version":9223372036854775807,"version_type":"external_gte"}}\n');
  });

  it('splits by bytes and by action count, a lone oversized document travelling alone', () => {
    const actions = Array.from({ length: 10 }, (_, index) => indexAction(index, index === 5 ? 5_000 : 100));
    const requests = groupIntoRequests('i', actions, 'external', 1_000, 3);
    assert.deepEqual(requests.flatMap((request) => request.actions.map((action) => action.id)), actions.map((action) => action.id));
    for (const request of requests) {
      assert.ok(request.actions.length <= 3);
      assert.equal(request.bytes, Buffer.byteLength(request.body));
      assert.ok(request.bytes <= 1_000 || request.actions.length === 1);
    }
    assert.ok(requests.some((request) => request.actions.length === 1 && request.actions[0]?.id === '5'));
  });
});

describe('elasticsearch answer classification', () => {
  it('counts stale versions and missing deletes as written', () => {
    assert.ok(itemSucceeded('index', 201, undefined));
    assert.ok(itemSucceeded('index', 409, { type: 'version_conflict_engine_exception' }));
    assert.ok(itemSucceeded('delete', 404, undefined));
    assert.ok(!itemSucceeded('index', 404, { type: 'index_not_found_exception' }));
    assert.ok(!itemSucceeded('index', 429, { type: 'es_rejected_execution_exception' }));
  });

  it('maps item errors to the closed set of classes', () => {
    const cases: [number, string, string, string][] = [
      [429, 'es_rejected_execution_exception', 'backpressure', 'es.rejected_execution'],
      [429, 'rejected_execution_exception', 'backpressure', 'es.rejected_execution'],
      [403, 'cluster_block_exception', 'backpressure', 'es.cluster_block'],
      [429, 'cluster_block_exception', 'backpressure', 'es.cluster_block'],
      [429, 'circuit_breaking_exception', 'backpressure', 'es.circuit_breaking'],
      [400, 'mapper_parsing_exception', 'poison', 'es.mapper_parsing_exception'],
      [400, 'document_parsing_exception', 'poison', 'es.document_parsing_exception'],
      [403, 'security_exception', 'fatal', 'es.unauthorized'],
      [404, 'index_not_found_exception', 'retryable', 'es.index_not_found'],
      [503, 'unavailable_shards_exception', 'retryable', 'es.server_error'],
    ];
    for (const [status, type, errorClass, code] of cases) {
      const error = classifyServerError(status, { type, reason: 'r' }, 'item');
      assert.equal(error.errorClass, errorClass, `${status} ${type}`);
      assert.equal(error.code, code, `${status} ${type}`);
    }
  });

  it('maps whole-request answers and transport failures', () => {
    assert.equal(classifyResponse(401, '{"error":{"type":"security_exception","reason":"missing authentication"},"status":401}').errorClass, 'fatal');
    assert.equal(classifyResponse(429, '').errorClass, 'backpressure');
    assert.equal(classifyResponse(400, '{"error":{"type":"illegal_argument_exception","reason":"bad"}}').errorClass, 'fatal');
    assert.equal(classifyResponse(413, 'too big').code, 'es.request_too_large');
    assert.equal(classifyResponse(502, '<html>').errorClass, 'retryable');
    const named = (name: string) => Object.assign(new Error('x'), { name });
    assert.equal(classifyTransportError(named('ConnectionError')).errorClass, 'retryable');
    assert.equal(classifyTransportError(named('TimeoutError')).errorClass, 'backpressure');
    assert.equal(classifyTransportError(named('ProductNotSupportedError')).errorClass, 'fatal');
  });
});
