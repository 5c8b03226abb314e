/** Elasticsearch writer settings: defaults, errors naming the variable, secrets, docs in sync. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.ts';
import { describeConfig, parseConfig, settingDocs } from '../../../connectors/elasticsearch/config.ts';

function configErrorFor(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('elasticsearch settings', () => {
  it('has defaults for everything', () => {
    const config = parseConfig({});
    assert.equal(config.flavour, 'elasticsearch');
    assert.deepEqual(config.nodes, ['http://127.0.0.1:9200']);
    assert.equal(config.bulkMaxBytes, 10 * 1024 * 1024);
    assert.equal(config.versionType, 'external');
    assert.equal(config.decimalMapping, 'auto');
    assert.equal(config.indexCreation, 'derived');
    assert.equal(config.truncateMode, 'delete-by-query');
    assert.deepEqual(config.auth, { kind: 'none' });
  });

  it('names the bad variable and never echoes its value', () => {
    assert.equal(configErrorFor({ SLUICE_ES_FLAVOUR: 'solr' }).variable, 'SLUICE_ES_FLAVOUR');
    assert.equal(configErrorFor({ SLUICE_ES_NODES: 'localhost:9200' }).variable, 'SLUICE_ES_NODES');
    assert.equal(configErrorFor({ SLUICE_ES_BULK_MAX_BYTES: '10MB' }).variable, 'SLUICE_ES_BULK_MAX_BYTES');
    assert.equal(configErrorFor({ SLUICE_ES_INDEX_PREFIX: 'Upper-' }).variable, 'SLUICE_ES_INDEX_PREFIX');
    assert.equal(configErrorFor({ SLUICE_ES_VERSION_TYPE: 'internal' }).variable, 'SLUICE_ES_VERSION_TYPE');
    const both = configErrorFor({ SLUICE_ES_PASSWORD: 'hunter2', SLUICE_ES_PASSWORD_FILE: '/nonexistent' });
    assert.equal(both.variable, 'SLUICE_ES_PASSWORD_FILE');
    assert.ok(!both.message.includes('hunter2'));
    assert.equal(configErrorFor({ SLUICE_ES_USERNAME: 'elastic' }).variable, 'SLUICE_ES_PASSWORD');
    assert.equal(configErrorFor({ SLUICE_ES_PASSWORD: 'x' }).variable, 'SLUICE_ES_USERNAME');
    assert.equal(configErrorFor({ SLUICE_ES_FLAVOUR: 'opensearch', SLUICE_ES_API_KEY: 'k' }).variable, 'SLUICE_ES_API_KEY');
    assert.equal(configErrorFor({ SLUICE_ES_CA_FILE: '/nonexistent/ca.pem' }).variable, 'SLUICE_ES_CA_FILE');
  });

  it('reads secrets from files and never shows them in the described config', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'sluice-es-'));
    writeFileSync(path.join(folder, 'password'), 's3cret-pass\n');
    writeFileSync(path.join(folder, 'key'), 'c2VjcmV0LWtleQ==\n');
    writeFileSync(path.join(folder, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    const basic = parseConfig({ SLUICE_ES_USERNAME: 'writer', SLUICE_ES_PASSWORD_FILE: path.join(folder, 'password'), SLUICE_ES_CA_FILE: path.join(folder, 'ca.pem') });
    assert.deepEqual(basic.auth, { kind: 'basic', username: 'writer', password: 's3cret-pass' });
    assert.ok(basic.caPem?.startsWith('-----BEGIN'));
    const apiKey = parseConfig({ SLUICE_ES_API_KEY_FILE: path.join(folder, 'key'), SLUICE_ES_NODES: 'https://user:pw@es.example:9243' });
    assert.deepEqual(apiKey.auth, { kind: 'api-key', apiKey: 'c2VjcmV0LWtleQ==' });
    const shown = JSON.stringify([describeConfig(basic), describeConfig(apiKey)]);
    for (const secret of ['s3cret-pass', 'c2VjcmV0LWtleQ==', ':pw@']) assert.ok(!shown.includes(secret), `${secret} leaked into ${shown}`);
  });

  it('docs/elasticsearch.md lists exactly the declared settings with their defaults', () => {
    const docs = readFileSync(new URL('../../../docs/elasticsearch.md', import.meta.url), 'utf8');
    const documented = [...docs.matchAll(/^\| `(SLUICE_ES_[A-Z_]+)` \| ([^|]*) \|/gm)].map((match) => [match[1], (match[2] ?? '').trim().replace(/^`|`$/g, '')]);
    const declared = settingDocs.map((doc) => [doc.variable, doc.default ?? '']);
    assert.deepEqual(documented, declared);
  });
});
