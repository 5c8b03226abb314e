/** Index names and document ids (connectors/elasticsearch/naming.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNCHANGED, type Value } from '../../../src/cdc/types.ts';
import { documentId, indexName, InvalidKeyError } from '../../../connectors/elasticsearch/naming.ts';

const key = (values: Record<string, Value>) => new Map(Object.entries(values));

describe('elasticsearch naming', () => {
  it('builds <prefix><namespace>.<table>, lower case and valid', () => {
    assert.equal(indexName('', { namespace: 'public', name: 'orders' }), 'public.orders');
    assert.equal(indexName('cdc-', { namespace: null, name: 'Orders' }), 'cdc-orders');
    assert.equal(indexName('', { namespace: 'Sales', name: 'a b/c*d?"e<f>g|h,i#j:k' }), 'sales.a_b_c_d__e_f_g_h_i_j_k');
    assert.equal(indexName('', { namespace: null, name: '_hidden' }), 'x_hidden');
    assert.equal(indexName('', { namespace: '.system', name: 't' }), 'x.system.t');
  });

  it('cuts names over 255 bytes and keeps distinct tables distinct', () => {
    const long = (tail: string) => indexName('', { namespace: 'public', name: `${'é'.repeat(200)}${tail}` });
    assert.ok(Buffer.byteLength(long('a')) <= 255);
    assert.notEqual(long('a'), long('b'));
    assert.match(long('a'), /~[0-9a-f]{12}$/);
  });

  it('encodes one-column and composite keys stably and unambiguously', () => {
    assert.equal(documentId(['id'], key({ id: 42n })), '42');
    assert.equal(documentId(['id'], key({ id: 'a/b' })), 'a/b');
    assert.equal(documentId(['id'], key({ id: new Uint8Array([1, 2]) })), 'AQI=');
    assert.equal(documentId(['tenant', 'id'], key({ id: 7, tenant: 'eu' })), '["eu","7"]');
    assert.notEqual(documentId(['a', 'b'], key({ a: 'x","y', b: 'z' })), documentId(['a', 'b'], key({ a: 'x', b: 'y","z' })));
    assert.match(documentId(['id'], key({ id: 'x'.repeat(600) })), /^sha256:[0-9a-f]{64}$/);
  });

  it('refuses keys that cannot name a document', () => {
    assert.throws(() => documentId([], key({})), InvalidKeyError);
    assert.throws(() => documentId(['id'], key({ id: null })), InvalidKeyError);
    assert.throws(() => documentId(['id'], key({ id: UNCHANGED })), InvalidKeyError);
    assert.throws(() => documentId(['id'], key({ id: '' })), InvalidKeyError);
  });
});
