/** PostgreSQL writer settings: parsing, errors naming the variable, and docs/postgres.md in sync. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.ts';
import { describeConfig, parsePostgresConfig, settingDocs } from '../../../connectors/postgres/config.ts';

function configErrorFor(env: Record<string, string>): ConfigError {
  try {
    parsePostgresConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('postgres settings', () => {
  it('has defaults for everything', () => {
    const config = parsePostgresConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 5432);
    assert.equal(config.defaultSchema, 'public');
    assert.equal(config.offsetsSchema, 'public');
    assert.equal(config.autoCreate, true);
    assert.equal(config.password, null);
  });

  it('names the bad variable and never echoes its value', () => {
    assert.equal(configErrorFor({ SLUICE_PG_PORT: 'eighty' }).variable, 'SLUICE_PG_PORT');
    assert.equal(configErrorFor({ SLUICE_PG_POOL_SIZE: '0' }).variable, 'SLUICE_PG_POOL_SIZE');
    assert.equal(configErrorFor({ SLUICE_PG_AUTO_CREATE: 'maybe' }).variable, 'SLUICE_PG_AUTO_CREATE');
    assert.equal(configErrorFor({ SLUICE_PG_SCHEMA: 'x'.repeat(64) }).variable, 'SLUICE_PG_SCHEMA');
    const url = configErrorFor({ SLUICE_PG_URL: 'mysql://user:hunter2@host/db' });
    assert.equal(url.variable, 'SLUICE_PG_URL');
    assert.ok(!url.message.includes('hunter2'));
    assert.equal(configErrorFor({ SLUICE_PG_PASSWORD: 'a', SLUICE_PG_PASSWORD_FILE: '/nonexistent' }).variable, 'SLUICE_PG_PASSWORD_FILE');
    assert.equal(configErrorFor({ SLUICE_PG_PASSWORD_FILE: '/nonexistent/password' }).variable, 'SLUICE_PG_PASSWORD_FILE');
  });

  it('reads the password from a file and masks secrets when described', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sluice-pg-')), 'password');
    writeFileSync(file, 's3cret\n');
    const config = parsePostgresConfig({ SLUICE_PG_PASSWORD_FILE: file, SLUICE_PG_URL: 'postgres://u@h/db' });
    assert.equal(config.password, 's3cret');
    const described = JSON.stringify(describeConfig(config));
    assert.ok(!described.includes('s3cret') && !described.includes('u@h'), described);
  });

  it('puts a separately given password into the URL (pg would otherwise take the URL\'s empty one)', () => {
    const config = parsePostgresConfig({ SLUICE_PG_URL: 'postgres://sluice@db.example:5432/app', SLUICE_PG_PASSWORD: 'p@ss/word' });
    assert.equal(new URL(config.connectionString ?? '').password, encodeURIComponent('p@ss/word'));
    assert.equal(configErrorFor({ SLUICE_PG_URL: 'postgres://u:inurl@h/db', SLUICE_PG_PASSWORD: 'x' }).variable, 'SLUICE_PG_URL');
  });

  it('documents every setting in docs/postgres.md', () => {
    const doc = readFileSync(new URL('../../../docs/postgres.md', import.meta.url), 'utf8');
    for (const setting of settingDocs) {
      const line = doc.split('\n').find((candidate) => candidate.startsWith(`| \`${setting.variable}\` |`));
      assert.ok(line !== undefined, `${setting.variable} missing from docs/postgres.md`);
      assert.ok(line.includes(setting.description), `${setting.variable}: description differs from config.ts`);
      if (setting.default !== undefined) assert.ok(line.includes(`\`${setting.default}\``), `${setting.variable}: default differs`);
    }
  });
});
