/** SLUICE_VALUE_FORMAT=avro and the schema registry settings, as loadConfig reads them. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors.ts';

const base = { SLUICE_DESTINATION: 'postgres', SLUICE_KAFKA_BROKERS: '127.0.0.1:9092', SLUICE_TOPICS: 't', SLUICE_POSTGRES_URL: 'postgres://postgres@127.0.0.1:5433/db' };

describe('Avro settings', () => {
  it('json stays the default and needs no registry', () => {
    const decoding = loadConfig(base).decoding;
    assert.equal(decoding.format, 'json');
    assert.equal(decoding.schemaRegistry, null);
  });

  it('avro needs SLUICE_SCHEMA_REGISTRY_URL', () => {
    assert.throws(() => loadConfig({ ...base, SLUICE_VALUE_FORMAT: 'avro' }), (error) => error instanceof ConfigError && error.message.includes('SLUICE_SCHEMA_REGISTRY_URL'));
  });

  it('basic auth with the password from a file, and a CA file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-avro-settings-'));
    writeFileSync(join(dir, 'password'), 's3cret\n');
    const decoding = loadConfig({
      ...base,
      SLUICE_VALUE_FORMAT: 'avro',
      SLUICE_SCHEMA_REGISTRY_URL: 'https://registry.internal:8081',
      SLUICE_SCHEMA_REGISTRY_USERNAME: 'sluice',
      SLUICE_SCHEMA_REGISTRY_PASSWORD_FILE: join(dir, 'password'),
      SLUICE_SCHEMA_REGISTRY_CA_FILE: '/etc/ssl/registry-ca.pem',
    }).decoding;
    assert.equal(decoding.format, 'avro');
    assert.deepEqual(decoding.schemaRegistry, { url: 'https://registry.internal:8081', username: 'sluice', password: 's3cret', caFile: '/etc/ssl/registry-ca.pem' });
  });

  it('a password without a user is a configuration error naming the user variable', () => {
    assert.throws(
      () => loadConfig({ ...base, SLUICE_VALUE_FORMAT: 'avro', SLUICE_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081', SLUICE_SCHEMA_REGISTRY_PASSWORD: 'x' }),
      (error) => error instanceof ConfigError && error.message.includes('SLUICE_SCHEMA_REGISTRY_USERNAME'),
    );
  });
});
