/**
 * Settings: every required variable missing, and every malformed value, stops the service with
 * exit code 2 and a message naming the variable; secrets never reach the start-up log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/load.ts';
import { coreSettings } from '../../../src/config/settings.ts';
import { ConfigError } from '../../../src/errors.ts';

const bin = fileURLToPath(new URL('../../../bin/sluice.mjs', import.meta.url));

const valid: Record<string, string> = {
  SLUICE_DESTINATION: 'postgres',
  SLUICE_KAFKA_BROKERS: '127.0.0.1:9092',
  SLUICE_TOPICS: 'cdc.public.orders',
  SLUICE_PG_URL: 'postgres://sluice@127.0.0.1:1/target',
};

async function runSluice(env: Record<string, string>, until?: (output: string) => boolean): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [bin, 'run'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    if (until?.(output)) child.kill('SIGKILL');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe('configuration', () => {
  const required = Object.entries(coreSettings).filter(([, spec]) => 'required' in spec && spec.required === true).map(([name]) => name);

  for (const variable of [...required, 'SLUICE_TOPICS']) {
    test(`missing ${variable} exits 2 naming it`, async () => {
      const env = { ...valid };
      delete env[variable];
      const { code, output } = await runSluice(env);
      assert.equal(code, 2, output);
      assert.match(output, new RegExp(`${variable}`));
    });
  }

  const malformed: [string, string][] = [
    ['SLUICE_KAFKA_BROKERS', 'not a broker list'],
    ['SLUICE_BATCH_MAX_ROWS', 'ten thousand'],
    ['SLUICE_BATCH_MIN_ROWS', '-5'],
    ['SLUICE_MAX_INFLIGHT_BYTES', '0'],
    ['SLUICE_ADAPTIVE', 'maybe'],
    ['SLUICE_DELIVERY', 'at-most-once'],
    ['SLUICE_TOPIC_PATTERN', '(unclosed'],
    ['SLUICE_DESTINATION', 'mongodb'],
    ['SLUICE_KAFKA_CLIENT', 'librdkafka'],
    ['SLUICE_PG_POOL_SIZE', 'many'],
  ];
  for (const [variable, value] of malformed) {
    test(`malformed ${variable}=${JSON.stringify(value)} exits 2 naming it`, async () => {
      const env = { ...valid, [variable]: value };
      if (variable === 'SLUICE_TOPIC_PATTERN') delete env.SLUICE_TOPICS;
      const { code, output } = await runSluice(env);
      assert.equal(code, 2, output);
      assert.match(output, new RegExp(variable));
    });
  }

  test('cross-field rules name the variable to change', () => {
    assert.throws(() => loadConfig({ ...valid, SLUICE_BATCH_MIN_ROWS: '5000', SLUICE_BATCH_MAX_ROWS: '1000' }), (error: unknown) => error instanceof ConfigError && error.variable === 'SLUICE_BATCH_MIN_ROWS');
    assert.throws(() => loadConfig({ ...valid, SLUICE_TOPIC_PATTERN: '^cdc\\..*' }), (error: unknown) => error instanceof ConfigError && error.variable === 'SLUICE_TOPIC_PATTERN');
    assert.throws(() => loadConfig({ ...valid, SLUICE_KAFKA_SASL_MECHANISM: 'plain', SLUICE_KAFKA_SASL_USERNAME: 'u' }), (error: unknown) => error instanceof ConfigError && error.variable === 'SLUICE_KAFKA_SASL_PASSWORD');
  });

  test('defaults: fetch sizes 8 MiB / 2 MiB (measured, docs/performance.md), batch 1,000–10,000 as in the article', () => {
    const config = loadConfig(valid);
    assert.equal(config.kafka.fetchMaxBytes, 8_388_608);
    assert.equal(config.kafka.partitionFetchMaxBytes, 2_097_152);
    assert.equal(config.kafka.fetchMaxWaitMs, 100);
    assert.deepEqual([config.batch.minRows, config.batch.maxRows], [1_000, 10_000]);
    assert.equal(config.kafka.groupId, 'sluice-postgres');
    assert.equal(config.dlqTopic, 'sluice-postgres.dlq');
  });

  test("a secret's value never appears in the start-up log", async () => {
    const secrets = { SLUICE_PG_PASSWORD: 'pg-secret-3f9a1c', SLUICE_KAFKA_SASL_MECHANISM: 'plain', SLUICE_KAFKA_SASL_USERNAME: 'sluice', SLUICE_KAFKA_SASL_PASSWORD: 'kafka-secret-77be02' };
    const { output } = await runSluice({ ...valid, ...secrets, SLUICE_HTTP_PORT: '0', SLUICE_LOG_LEVEL: 'info' }, (text) => text.includes('"event":"config"') && text.includes('PostgreSQL writer settings'));
    assert.match(output, /"event":"config"/, output);
    assert.match(output, /\*\*\*/, 'secrets are shown masked');
    assert.doesNotMatch(output, /pg-secret-3f9a1c/);
    assert.doesNotMatch(output, /kafka-secret-77be02/);
  });
});
