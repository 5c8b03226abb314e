/**
 * `sluice check`: exit 2 naming the variable on invalid settings, 0 when Kafka, the topics and
 * the destination all answer, 1 when one of them does not — with one line per check.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { main } from '../../../src/cli.ts';
import { createUniqueDatabase, createUniqueTopic, kafkaBrokers, startServices, type TestDatabase, type TestTopic, uniqueName } from '../../support/services.ts';
import { capturedOutput } from './captured-output.ts';

describe('sluice check', () => {
  let database: TestDatabase;
  let topic: TestTopic;
  let dlq: TestTopic;
  let settings: Record<string, string>;

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('sluice_check');
    topic = await createUniqueTopic(2, 'cli-check');
    dlq = await createUniqueTopic(1, 'cli-check-dlq');
    settings = {
      SLUICE_DESTINATION: 'postgres',
      SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
      SLUICE_TOPICS: topic.topic,
      SLUICE_GROUP_ID: uniqueName('cli-check'),
      SLUICE_DLQ_TOPIC: dlq.topic,
      SLUICE_PG_URL: database.url,
    };
  });

  after(async () => {
    await Promise.allSettled([database?.drop(), topic?.delete(), dlq?.delete()]);
  });

  async function check(env: Record<string, string>, ...args: string[]): Promise<{ code: number; lines: string[]; stdout: string }> {
    const output = capturedOutput();
    const code = await main(['check', ...args], env, output);
    return { code, lines: output.stderr, stdout: output.stdout.join('\n') };
  }

  test('everything reachable: exit 0, a ✓ line per check', async () => {
    const { code, lines } = await check(settings);
    assert.equal(code, 0, lines.join('\n'));
    for (const name of ['config', 'kafka', 'topics', 'dead-letter-topic', 'destination']) {
      assert.ok(lines.some((line) => line.startsWith(`✓ ${name}:`)), `✓ ${name} in:\n${lines.join('\n')}`);
    }
  });

  test('invalid settings: exit 2, naming the variable', async () => {
    const { code, lines } = await check({ ...settings, SLUICE_BATCH_MAX_ROWS: 'lots' });
    assert.equal(code, 2);
    assert.match(lines.join('\n'), /✗ config: SLUICE_BATCH_MAX_ROWS/);
    const connectorSetting = await check({ ...settings, SLUICE_PG_URL: '', SLUICE_PG_PORT: 'not-a-port' });
    assert.equal(connectorSetting.code, 2);
    assert.match(connectorSetting.lines.join('\n'), /✗ config: SLUICE_PG_PORT/);
  });

  test('destination unreachable: exit 1 with a ✗ destination line; Kafka still ✓', async () => {
    const { code, lines } = await check({ ...settings, SLUICE_PG_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    assert.equal(code, 1, lines.join('\n'));
    assert.ok(lines.some((line) => line.startsWith('✗ destination:')), lines.join('\n'));
    assert.ok(lines.some((line) => line.startsWith('✓ kafka:')), lines.join('\n'));
  });

  test('a topic that does not exist fails the topics check; a missing dead-letter topic only warns', async () => {
    const { code, lines } = await check({ ...settings, SLUICE_TOPICS: `${topic.topic},${uniqueName('absent')}`, SLUICE_DLQ_TOPIC: uniqueName('absent-dlq') });
    assert.equal(code, 1, lines.join('\n'));
    assert.ok(lines.some((line) => line.startsWith('✗ topics: topic(s) not found')), lines.join('\n'));
    assert.ok(lines.some((line) => line.startsWith('! dead-letter-topic:')), lines.join('\n'));
  });

  test('Kafka unreachable: exit 1 within the timeout; --json for scripts', async () => {
    const { code, stdout } = await check({ ...settings, SLUICE_KAFKA_BROKERS: '127.0.0.1:1' }, '--json', '--timeout', '3000');
    assert.equal(code, 1);
    const report = JSON.parse(stdout) as { ok: boolean; exitCode: number; checks: { check: string; status: string }[] };
    assert.equal(report.ok, false);
    assert.equal(report.exitCode, 1);
    assert.deepEqual(report.checks.find((c) => c.check === 'kafka')?.status, 'fail');
  });
});
