/**
 * Settings of the BigQuery writer: defaults, validation naming the variable, the key file read at
 * start (content never logged), and the docs listing every variable the parser reads.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.ts';
import { describeConfig, parseBigQueryConfig, settingDocs } from '../../../connectors/bigquery/config.ts';

const base = { SLUICE_BIGQUERY_PROJECT: 'my-project-1', SLUICE_BIGQUERY_DATASET: 'analytics' };

function configErrorVariable(env: Record<string, string>): string | null {
  try {
    parseBigQueryConfig(env);
    return null;
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.variable;
  }
}

describe('BigQuery settings', () => {
  it('applies the documented defaults; application default credentials without key file or endpoint', () => {
    const config = parseBigQueryConfig(base);
    assert.equal(config.auth.kind, 'application-default');
    assert.equal(config.namespaceMode, 'dataset');
    assert.equal(config.autoCreate, true);
    assert.equal(config.stagingExpirationMs, 86_400_000);
    assert.equal(config.jobTimeoutMs, 600_000);
    for (const doc of settingDocs) {
      if (doc.default === undefined) continue;
      assert.ok(doc.variable.startsWith('SLUICE_BIGQUERY_'), doc.variable);
    }
    assert.equal(parseBigQueryConfig({ ...base, SLUICE_BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9050/' }).apiEndpoint, 'http://127.0.0.1:9050');
    assert.equal(parseBigQueryConfig({ ...base, SLUICE_BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9050' }).auth.kind, 'none');
  });

  it('names the variable of a missing or malformed setting', () => {
    assert.equal(configErrorVariable({ SLUICE_BIGQUERY_DATASET: 'x' }), 'SLUICE_BIGQUERY_PROJECT');
    assert.equal(configErrorVariable({ SLUICE_BIGQUERY_PROJECT: 'my-project-1' }), 'SLUICE_BIGQUERY_DATASET');
    assert.equal(configErrorVariable({ ...base, SLUICE_BIGQUERY_PROJECT: 'My Project' }), 'SLUICE_BIGQUERY_PROJECT');
    assert.equal(configErrorVariable({ ...base, SLUICE_BIGQUERY_DATASET: 'has-dash' }), 'SLUICE_BIGQUERY_DATASET');
    assert.equal(configErrorVariable({ ...base, SLUICE_BIGQUERY_API_ENDPOINT: '127.0.0.1:9050' }), 'SLUICE_BIGQUERY_API_ENDPOINT');
    assert.equal(configErrorVariable({ ...base, SLUICE_BIGQUERY_NAMESPACES: 'schema' }), 'SLUICE_BIGQUERY_NAMESPACES');
    assert.equal(configErrorVariable({ ...base, SLUICE_BIGQUERY_JOB_TIMEOUT_MS: '10s' }), 'SLUICE_BIGQUERY_JOB_TIMEOUT_MS');
    assert.equal(configErrorVariable({ ...base, SLUICE_BIGQUERY_KEY_FILE: '/nonexistent/key.json' }), 'SLUICE_BIGQUERY_KEY_FILE');
  });

  it('reads the key file at start and never shows its secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bq-'));
    const notKey = join(dir, 'not-key.json');
    writeFileSync(notKey, JSON.stringify({ type: 'authorized_user' }));
    assert.equal(configErrorVariable({ ...base, SLUICE_BIGQUERY_KEY_FILE: notKey }), 'SLUICE_BIGQUERY_KEY_FILE');
    const key = join(dir, 'key.json');
    writeFileSync(key, JSON.stringify({ type: 'service_account', client_email: 'sluice@my-project-1.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n' }));
    const config = parseBigQueryConfig({ ...base, SLUICE_BIGQUERY_KEY_FILE: key });
    assert.equal(config.auth.kind, 'key-file');
    const described = JSON.stringify(describeConfig(config));
    assert.match(described, /sluice@my-project-1/);
    assert.doesNotMatch(described, /SECRETSECRET/);
  });
});
