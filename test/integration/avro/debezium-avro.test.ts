/**
 * The real CDC source with the Avro converter: PostgreSQL → Debezium's PostgreSQL connector 3.6.1
 * with Apicurio's AvroConverter (Confluent wire format: as-confluent, contentId) writing schemas to
 * the project's registry → Kafka → sluice (SLUICE_VALUE_FORMAT=avro, the registry's Confluent API)
 * → a target PostgreSQL database, compared row by row and column by column with the source.
 *
 * The table covers Decimal, VariableScaleDecimal, int16/int64, float32/64, Date, MicroTime,
 * MicroTimestamp, ZonedTimestamp, Json, Uuid, arrays, bytea and intervals (string mode), with a
 * snapshot, then inserts, updates (nulls included) and deletes. Seeded (SLUICE_AVRO_DEBEZIUM_SEED).
 *
 * Runs its own Kafka Connect worker (avro-connect-worker.ts). Needs the real registry (the default
 * of registry-under-test.ts): with a stub or an external registry it prints why it does not run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { compareDatabases, describeDifferences } from '../../e2e/debezium/compare-postgres.ts';
import { debeziumPostgresConfig, RUN_PREFIX } from '../../e2e/debezium/debezium-connector.ts';
import { createTopicsOf, groupProgress, postgresSinkSettings, readTopic, startInProcess, topicRecordCount, waitFor } from '../../support/sluice-harness.ts';
import { createUniqueDatabase, postgresUrl, startServices, type TestDatabase, uniqueName } from '../../support/services.ts';
import { seededRandom } from '../../unit/cdc/debezium-encoder.ts';
import { APICURIO_AVRO_CONVERTER, type ConnectWorker, startConnectWorker } from './avro-connect-worker.ts';
import { type RegistryUnderTest, registryUnderTest } from './registry-under-test.ts';

const SEED = Number(process.env['SLUICE_AVRO_DEBEZIUM_SEED'] ?? 4242);
const SNAPSHOT_ROWS = 30;
const INSERTS = 40;
const UPDATES = 30;
const DELETES = 10;

const TABLE = 'avro_types';
const DDL = `CREATE TABLE public.${TABLE} (
  id integer PRIMARY KEY,
  amount numeric(12,2),
  ratio numeric,
  big bigint,
  small smallint,
  flag boolean,
  note text,
  label varchar(40),
  day date,
  at_ts timestamp(6),
  at_tz timestamptz,
  t time(6),
  doc jsonb,
  uid uuid,
  tags text[],
  nums integer[],
  data bytea,
  f4 real,
  f8 double precision,
  iv interval
)`;
const COLUMNS = ['amount', 'ratio', 'big', 'small', 'flag', 'note', 'label', 'day', 'at_ts', 'at_tz', 't', 'doc', 'uid', 'tags', 'nums', 'data', 'f4', 'f8', 'iv'] as const;

type Random = () => number;
const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const pad = (value: number, width: number): string => String(value).padStart(width, '0');

function rowValues(random: Random): unknown[] {
  const maybe = <T>(make: () => T): T | null => (random() < 0.1 ? null : make());
  const hex = (n: number): string => Array.from({ length: n }, () => int(random, 0, 15).toString(16)).join('');
  return [
    maybe(() => `${random() < 0.5 ? '-' : ''}${int(random, 0, 9_999_999_999)}.${pad(int(random, 0, 99), 2)}`),
    maybe(() => `${int(random, -99999, 99999)}.${'1234567890'.slice(0, int(random, 0, 9))}`.replace(/\.$/, '')),
    maybe(() => `${random() < 0.5 ? '-' : ''}${int(random, 0, 2 ** 31)}${pad(int(random, 0, 99_999_999), 8)}`),
    maybe(() => int(random, -32_768, 32_767)),
    maybe(() => random() < 0.5),
    maybe(() => `text ${hex(8)} ç€ "q" \\ ${int(random, 0, 1e6)}`),
    maybe(() => `label-${hex(6)}`),
    maybe(() => `${int(random, 1900, 2100)}-${pad(int(random, 1, 12), 2)}-${pad(int(random, 1, 28), 2)}`),
    maybe(() => `${int(random, 1970, 2100)}-${pad(int(random, 1, 12), 2)}-${pad(int(random, 1, 28), 2)} ${pad(int(random, 0, 23), 2)}:${pad(int(random, 0, 59), 2)}:${pad(int(random, 0, 59), 2)}.${pad(int(random, 0, 999_999), 6)}`),
    maybe(() => `${int(random, 1970, 2100)}-${pad(int(random, 1, 12), 2)}-${pad(int(random, 1, 28), 2)} ${pad(int(random, 0, 23), 2)}:${pad(int(random, 0, 59), 2)}:${pad(int(random, 0, 59), 2)}.${pad(int(random, 0, 999_999), 6)}+0${int(random, 0, 9)}:00`),
    maybe(() => `${pad(int(random, 0, 23), 2)}:${pad(int(random, 0, 59), 2)}:${pad(int(random, 0, 59), 2)}.${pad(int(random, 0, 999_999), 6)}`),
    maybe(() => JSON.stringify({ k: hex(4), n: int(random, -1000, 1000), nested: [1, 2.5, null, { deep: hex(3) }] })),
    maybe(() => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`),
    maybe(() => Array.from({ length: int(random, 0, 4) }, () => (random() < 0.2 ? null : `tag ${hex(3)}`))),
    maybe(() => Array.from({ length: int(random, 0, 5) }, () => int(random, -1000, 1000))),
    maybe(() => Buffer.from(Array.from({ length: int(random, 0, 20) }, () => int(random, 0, 255)))),
    maybe(() => Math.fround((random() - 0.5) * 1000)),
    maybe(() => (random() - 0.5) * 10 ** int(random, -5, 12)),
    maybe(() => `${int(random, 0, 30)} years ${int(random, 0, 11)} mons ${int(random, 0, 27)} days ${pad(int(random, 0, 23), 2)}:${pad(int(random, 0, 59), 2)}:${pad(int(random, 0, 59), 2)}`),
  ];
}

async function upsertRow(client: pg.Client, id: number, values: unknown[]): Promise<void> {
  const placeholders = COLUMNS.map((_, i) => `$${i + 2}`).join(', ');
  const updates = COLUMNS.map((name) => `"${name}" = EXCLUDED."${name}"`).join(', ');
  await client.query(`INSERT INTO public.${TABLE} (id, ${COLUMNS.map((name) => `"${name}"`).join(', ')}) VALUES ($1, ${placeholders}) ON CONFLICT (id) DO UPDATE SET ${updates}`, [id, ...values]);
}

describe('Debezium PostgreSQL connector with the Avro converter → Kafka → sluice (avro) → PostgreSQL', { timeout: 600_000 }, () => {
  const name = uniqueName(`${RUN_PREFIX}_avro`);
  const topic = `${name}.public.${TABLE}`;
  const group = `${name}_group`;
  let registry: RegistryUnderTest;
  let worker: ConnectWorker | undefined;
  let source: TestDatabase | undefined;
  let target: TestDatabase | undefined;
  let sourceClient: pg.Client | undefined;
  let unavailable: string | null = null;

  before(async () => {
    await startServices();
    registry = await registryUnderTest();
    if (registry.kind !== 'local') {
      unavailable = `Apicurio's converter needs the project's Apicurio registry (its v2 API); this run uses a ${registry.kind} registry`;
      return;
    }
    worker = await startConnectWorker();
    source = await createUniqueDatabase(`${RUN_PREFIX}_src_avro`);
    target = await createUniqueDatabase(`${RUN_PREFIX}_dst_avro`);
    sourceClient = new pg.Client({ connectionString: source.url });
    await sourceClient.connect();
    await sourceClient.query(DDL);
    await createTopicsOf([{ topic: `${group}.dlq`, partitions: 1 }]);
  });

  after(async () => {
    if (worker !== undefined) {
      await worker.deleteConnector(name);
      await worker.stop();
    }
    await sourceClient?.end().catch(() => undefined);
    // The slot outlives the connector and would pin WAL; the publication goes with the database.
    const admin = new pg.Client({ connectionString: postgresUrl('postgres') });
    await admin.connect();
    try {
      await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [name]);
    } finally {
      await admin.end();
    }
    await source?.drop();
    await target?.drop();
    await registry?.close();
  });

  test(`snapshot, inserts, updates and deletes arrive equal to the source (seed ${SEED})`, async (t) => {
    if (unavailable !== null) {
      t.skip(unavailable);
      return;
    }
    const client = sourceClient!;
    const random = seededRandom(SEED);
    for (let id = 1; id <= SNAPSHOT_ROWS; id++) await upsertRow(client, id, rowValues(random));

    const nativeApi = registry.url.replace(/\/apis\/ccompat\/v7$/, '/apis/registry/v2');
    const converter = (role: 'key' | 'value'): Record<string, string> => ({
      [`${role}.converter`]: APICURIO_AVRO_CONVERTER,
      [`${role}.converter.apicurio.registry.url`]: nativeApi,
      [`${role}.converter.apicurio.registry.auto-register`]: 'true',
      [`${role}.converter.apicurio.registry.as-confluent`]: 'true',
      [`${role}.converter.apicurio.registry.use-id`]: 'contentId',
      [`${role}.converter.apicurio.registry.headers.enabled`]: 'false',
    });
    await worker!.createConnector(name, {
      ...debeziumPostgresConfig({ name, database: source!.name, singlePartitionTables: [TABLE], partitions: 1 }),
      ...converter('key'),
      ...converter('value'),
    });
    await worker!.awaitRunning(name);

    let nextId = SNAPSHOT_ROWS + 1;
    for (let i = 0; i < INSERTS; i++) await upsertRow(client, nextId++, rowValues(random));
    for (let i = 0; i < UPDATES; i++) await upsertRow(client, int(random, 1, nextId - 1), rowValues(random));
    const deleted = new Set<number>();
    while (deleted.size < DELETES) deleted.add(int(random, 1, nextId - 1));
    for (const id of deleted) await client.query(`DELETE FROM public.${TABLE} WHERE id = $1`, [id]);

    const expectedRecords = SNAPSHOT_ROWS + INSERTS + UPDATES + 2 * DELETES;
    await waitFor(async () => (await topicRecordCount(topic).catch(() => 0)) >= expectedRecords, {
      timeoutMs: 120_000,
      intervalMs: 500,
      describe: async () => `${await topicRecordCount(topic).catch(() => 0)} of ${expectedRecords} records in ${topic}; worker: ${worker!.log().slice(-2_000)}`,
    });

    const service = await startInProcess(
      postgresSinkSettings({ topics: [topic], databaseUrl: target!.url, group, extra: { SLUICE_VALUE_FORMAT: 'avro', SLUICE_SCHEMA_REGISTRY_URL: registry.url } }),
    );
    try {
      await waitFor(async () => {
        const progress = await groupProgress(group, [topic]);
        return progress.end > 0n && progress.committed === progress.end;
      }, { timeoutMs: 120_000, intervalMs: 500, describe: async () => JSON.stringify(await groupProgress(group, [topic]), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) });
    } finally {
      await service.stop();
    }
    assert.equal(await service.finished, null, 'the service stopped cleanly');
    const deadLetters = await topicRecordCount(`${group}.dlq`);
    if (deadLetters > 0) {
      const reasons = new Set((await readTopic(`${group}.dlq`)).map((record) => JSON.stringify(record.headers)));
      assert.fail(`${deadLetters} records were dead-lettered: ${[...reasons].slice(0, 3).join('\n')}`);
    }

    const targetClient = new pg.Client({ connectionString: target!.url });
    await targetClient.connect();
    try {
      const report = await compareDatabases({ source: client, target: targetClient, schema: 'public', tables: [TABLE] });
      assert.ok(report.equal, `target differs from the source:\n${describeDifferences(report.differences)}`);
      assert.equal(report.tables[0]?.sourceRows, SNAPSHOT_ROWS + INSERTS - DELETES);
    } finally {
      await targetClient.end();
    }
  });
});
