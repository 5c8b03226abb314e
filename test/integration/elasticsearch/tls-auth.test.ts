/**
 * TLS with a private CA (SLUICE_ES_CA_FILE) and credentials (basic for both flavours, API key for
 * the elasticsearch flavour) against an HTTPS front that checks the Authorization header, in front
 * of the real OpenSearch (through the product proxy for the elasticsearch flavour). Secrets come
 * from _FILE variables here; wrong credentials are fatal, an unknown CA fails the connection.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Value } from '../../../src/cdc/types.ts';
import { isSinkError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import type { RowChange, WriteContext } from '../../../src/writer/types.ts';
import elasticsearch from '../../../connectors/elasticsearch/index.ts';
import { indexName } from '../../../connectors/elasticsearch/naming.ts';
import { column, tableSchema } from '../../conformance/batches.ts';
import { readDocuments } from '../../conformance/elasticsearch-harness.ts';
import { type SearchServer, startSearchServer } from './search-server.ts';
import { startTlsAuthFront, type TlsAuthFront } from './tls-auth-front.ts';

const context: WriteContext = { signal: new AbortController().signal };
const schema = tableSchema([column('id', { kind: 'int32' }, false), column('name', { kind: 'string' })], ['id']);
const change: RowChange = { kind: 'upsert', key: new Map<string, Value>([['id', 1]]), row: new Map<string, Value>([['id', 1], ['name', 'over tls']]), version: 1n, origins: [], sourceTsMs: 0 };

const credentials = [
  { flavour: 'opensearch', kind: 'basic', authorization: `Basic ${Buffer.from('writer:s3cret pass').toString('base64')}` },
  { flavour: 'elasticsearch', kind: 'basic', authorization: `Basic ${Buffer.from('writer:s3cret pass').toString('base64')}` },
  { flavour: 'elasticsearch', kind: 'api-key', authorization: 'ApiKey c2x1aWNlOnNlY3JldC1rZXk=' },
] as const;

for (const { flavour, kind, authorization } of credentials) {
  describe(`elasticsearch writer over TLS with ${kind} credentials (${flavour} flavour)`, () => {
    const prefix = `sluice-tls-${randomBytes(4).toString('hex')}-`;
    const secrets = mkdtempSync(path.join(tmpdir(), 'sluice-secrets-'));
    let server: SearchServer;
    let front: TlsAuthFront;

    const env = (overrides: Record<string, string>): Record<string, string> => {
      writeFileSync(path.join(secrets, 'password'), 's3cret pass\n');
      writeFileSync(path.join(secrets, 'api-key'), 'c2x1aWNlOnNlY3JldC1rZXk=\n');
      const auth: Record<string, string> = kind === 'basic' ? { SLUICE_ES_USERNAME: 'writer', SLUICE_ES_PASSWORD_FILE: path.join(secrets, 'password') } : { SLUICE_ES_API_KEY_FILE: path.join(secrets, 'api-key') };
      return { SLUICE_ES_FLAVOUR: flavour, SLUICE_ES_NODES: front.url, SLUICE_ES_CA_FILE: front.caFile, SLUICE_ES_INDEX_PREFIX: prefix, SLUICE_ES_INDEX_REPLICAS: '0', ...auth, ...overrides };
    };

    before(async () => {
      server = await startSearchServer(flavour);
      front = await startTlsAuthFront(server.writerUrl, authorization);
    });

    after(async () => {
      await fetch(`${server.adminUrl}/${prefix}*`, { method: 'DELETE' });
      await front?.close();
      await server?.close();
    });

    it('writes through TLS with the private CA and the credentials', async () => {
      const writer = elasticsearch.createWriter({ logger: silentLogger(), env: env({}) });
      await writer.open();
      const table = { namespace: 'tls', name: 'items' };
      assert.deepEqual((await writer.write({ table, schema, truncateFirst: false, truncateOrigins: [], changes: [change] }, context)).failures, []);
      await writer.close();
      const rows = await readDocuments(server.adminUrl, indexName(prefix, table), schema);
      assert.deepEqual(rows.map((row) => row.get('name')), ['over tls']);
      assert.ok(front.acceptedRequests > 0);
    });

    it('stops on wrong credentials (fatal, secret not in the message)', async () => {
      const wrong: Record<string, string> = kind === 'basic' ? { SLUICE_ES_PASSWORD_FILE: '', SLUICE_ES_PASSWORD: 'wrong-password' } : { SLUICE_ES_API_KEY_FILE: '', SLUICE_ES_API_KEY: 'd3Jvbmc6a2V5' };
      const writer = elasticsearch.createWriter({ logger: silentLogger(), env: env(wrong) });
      await assert.rejects(writer.open(), (error: unknown) => {
        assert.ok(isSinkError(error), String(error));
        assert.equal(error.errorClass, 'fatal');
        assert.ok(!error.message.includes('wrong-password') && !error.message.includes('d3Jvbmc6a2V5'));
        return true;
      });
      await writer.close();
    });

    it('refuses a server whose certificate its CA file did not sign', async () => {
      const writer = elasticsearch.createWriter({ logger: silentLogger(), env: env({ SLUICE_ES_CA_FILE: '' }) });
      await assert.rejects(writer.open(), (error: unknown) => {
        assert.ok(isSinkError(error), String(error));
        assert.equal(error.code, 'es.connection');
        assert.match(error.message, /certificate|self.signed|issuer/i);
        return true;
      });
      await writer.close();
    });
  });
}
