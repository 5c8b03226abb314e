/** Settings of the Snowflake writer: defaults, validation naming the variable, key pairs, masking. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.ts';
import { describeConfig, parseSnowflakeConfig, settingDocs } from '../../../connectors/snowflake/config.ts';

const base = {
  SLUICE_SNOWFLAKE_ACCOUNT: 'myorg-myaccount',
  SLUICE_SNOWFLAKE_USER: 'LOADER',
  SLUICE_SNOWFLAKE_PASSWORD: 'hunter2-secret',
  SLUICE_SNOWFLAKE_DATABASE: 'ANALYTICS',
};

function rejectsNaming(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => parseSnowflakeConfig(env),
    (error: unknown) => error instanceof ConfigError && error.variable === variable,
    `expected a ConfigError naming ${variable}`,
  );
}

describe('Snowflake settings', () => {
  it('applies the documented defaults', () => {
    const config = parseSnowflakeConfig(base);
    assert.equal(config.schema, 'PUBLIC');
    assert.equal(config.identifierCase, 'preserve');
    assert.equal(config.softDelete, false);
    assert.equal(config.autoCreate, true);
    assert.equal(config.poolSize, 4);
    assert.equal(config.accessUrl, null);
    assert.deepEqual(config.auth, { kind: 'password', password: 'hunter2-secret' });
    for (const doc of settingDocs) assert.match(doc.variable, /^SLUICE_SNOWFLAKE_[A-Z_]+$/);
  });

  it('names the variable that is missing or wrong', () => {
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_ACCOUNT: '' }, 'SLUICE_SNOWFLAKE_ACCOUNT');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_ACCOUNT: 'bad account!' }, 'SLUICE_SNOWFLAKE_ACCOUNT');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_DATABASE: '' }, 'SLUICE_SNOWFLAKE_DATABASE');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_PASSWORD: '' }, 'SLUICE_SNOWFLAKE_PASSWORD');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_ACCESS_URL: 'ftp://x' }, 'SLUICE_SNOWFLAKE_ACCESS_URL');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_POOL_SIZE: '0' }, 'SLUICE_SNOWFLAKE_POOL_SIZE');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_IDENTIFIER_CASE: 'lower' }, 'SLUICE_SNOWFLAKE_IDENTIFIER_CASE');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_SOFT_DELETE: 'maybe' }, 'SLUICE_SNOWFLAKE_SOFT_DELETE');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_STAGE_CHUNK_BYTES: '99999999999' }, 'SLUICE_SNOWFLAKE_STAGE_CHUNK_BYTES');
  });

  it('never repeats a secret value in an error', () => {
    try {
      parseSnowflakeConfig({ ...base, SLUICE_SNOWFLAKE_PASSWORD: undefined as unknown as string, SLUICE_SNOWFLAKE_PRIVATE_KEY: 'sekrit-not-a-pem' });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.doesNotMatch(error.message, /sekrit/);
    }
  });

  it('uses key-pair authentication with an inline key, a key file and an encrypted key', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const plain = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' }).toString();
    const directory = mkdtempSync(path.join(tmpdir(), 'sluice-sf-key-'));
    const file = path.join(directory, 'rsa_key.p8');
    writeFileSync(file, encrypted);

    const inline = parseSnowflakeConfig({ ...base, SLUICE_SNOWFLAKE_PRIVATE_KEY: plain });
    assert.equal(inline.auth.kind, 'key-pair');
    const fromFile = parseSnowflakeConfig({ ...base, SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE: file, SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: 'open sesame' });
    assert.equal(fromFile.auth.kind, 'key-pair');
    if (fromFile.auth.kind === 'key-pair') assert.match(fromFile.auth.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);

    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE: file, SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: 'wrong' }, 'SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE: path.join(directory, 'missing.p8') }, 'SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_PRIVATE_KEY: plain, SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE: file }, 'SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE');
    rejectsNaming({ ...base, SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: 'x' }, 'SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE');
  });

  it('documents every setting in docs/snowflake.md', () => {
    const doc = readFileSync(new URL('../../../docs/snowflake.md', import.meta.url), 'utf8');
    for (const setting of settingDocs) {
      const line = doc.split('\n').find((candidate) => candidate.startsWith(`| \`${setting.variable}\` |`));
      assert.ok(line !== undefined, `${setting.variable} missing from docs/snowflake.md`);
      const cells = line.split(' | ');
      assert.equal(cells[1], setting.default === undefined ? '' : `\`${setting.default}\``, `${setting.variable} default`);
      assert.ok(line.includes(setting.description.replaceAll('|', '\\|')), `${setting.variable} description`);
    }
  });

  it('masks secrets in the loggable view', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    for (const env of [base, { ...base, SLUICE_SNOWFLAKE_PRIVATE_KEY: pem }]) {
      const text = JSON.stringify(describeConfig(parseSnowflakeConfig(env)));
      assert.doesNotMatch(text, /hunter2|PRIVATE KEY|MII/);
    }
  });
});
