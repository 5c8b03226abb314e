/**
 * The real services answer: one record through Kafka on a fresh topic, and a query on PostgreSQL.
 * Runs against `scripts/services.sh` services or testcontainers (SLUICE_TEST_SERVICES).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  createUniqueDatabase,
  createUniqueTopic,
  postgresUrl,
  servicesMode,
  startServices,
  stopServices,
  testKafka,
  uniqueName,
} from '../support/services.ts';

describe(`services (${servicesMode()})`, () => {
  before(async () => {
    await startServices();
  });

  after(async () => {
    await stopServices();
  });

  test('Kafka: a produced record is consumed back by a group', async () => {
    const topic = await createUniqueTopic(3, 'services-smoke');
    const kafka = testKafka('services-smoke');
    const producer = kafka.producer();
    const groupId = uniqueName('services-smoke-group');
    const consumer = kafka.consumer({ groupId });
    try {
      const key = uniqueName('key');
      await producer.connect();
      await producer.send({
        topic: topic.topic,
        messages: [{ key, value: 'hello sluice', partition: 2, headers: { source: 'services.test' } }],
      });

      await consumer.connect();
      await consumer.subscribe({ topic: topic.topic, fromBeginning: true });
      const received = await new Promise<{ partition: number; key: string; value: string; header: string }>(
        (resolve, reject) => {
          const deadline = setTimeout(() => reject(new Error('no record consumed within 30 s')), 30_000);
          consumer
            .run({
              eachMessage: async ({ partition, message }) => {
                clearTimeout(deadline);
                resolve({
                  partition,
                  key: message.key?.toString() ?? '',
                  value: message.value?.toString() ?? '',
                  header: message.headers?.source?.toString() ?? '',
                });
              },
            })
            .catch(reject);
        },
      );
      assert.deepEqual(received, { partition: 2, key, value: 'hello sluice', header: 'services.test' });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
      await topic.delete();
    }
  });

  test('PostgreSQL: answers select version() in a fresh database', async () => {
    const database = await createUniqueDatabase('services_smoke');
    const client = new pg.Client({ connectionString: database.url });
    try {
      await client.connect();
      const { rows } = await client.query<{ version: string; db: string; wal_level: string }>(
        "select version() as version, current_database() as db, current_setting('wal_level') as wal_level",
      );
      assert.match(rows[0]?.version ?? '', /^PostgreSQL 1\d/);
      assert.equal(rows[0]?.db, database.name);
      assert.equal(rows[0]?.wal_level, 'logical');
    } finally {
      await client.end();
      await database.drop();
    }
    assert.ok(postgresUrl().endsWith('/postgres'));
  });
});

test('every scripts/services/*.sh plug-in defines the services.sh contract', async () => {
  const servicesScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/services.sh');
  const { stdout } = await promisify(execFile)('bash', [servicesScript, 'check']);
  const lines = stdout.trim().split('\n');
  assert.ok(lines.some((line) => /^kafka\s+ok$/.test(line)), stdout);
  assert.ok(lines.some((line) => /^postgres\s+ok$/.test(line)), stdout);
  assert.ok(lines.every((line) => /\sok$/.test(line)), stdout);
});
