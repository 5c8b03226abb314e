/**
 * The Snowflake writer's modes on the emulator (scripts/services.sh up fakesnow): soft deletes,
 * key-pair (JWT) authentication through snowflake-sdk, staging documents split into several
 * chunks, upper-case identifiers, and AUTO_CREATE=false. The shared conformance suite covers the
 * default mode.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Value } from '../../../src/cdc/types.ts';
import { isSinkError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import type { Writer } from '../../../src/writer/types.ts';
import snowflake from '../../../connectors/snowflake/index.ts';
import type { SessionPool } from '../../../connectors/snowflake/session-pool.ts';
import { batchOf, column, remove, tableSchema, upsert } from '../../conformance/batches.ts';
import { TableModel, canonicalRows } from '../../conformance/model.ts';
import { SeededRandom } from '../../conformance/random.ts';
import { readSnowflakeTable } from '../../conformance/snowflake-harness.ts';
import { fakesnowEnv, requireFakesnow, testSessions, uniqueDatabase } from './fakesnow-service.ts';

const context = { signal: new AbortController().signal };
const schema = tableSchema([column('id', { kind: 'int64' }, false), column('name', { kind: 'string' }), column('amount', { kind: 'decimal', precision: 10, scale: 2 })], ['id']);

describe('Snowflake writer modes (fakesnow emulator)', () => {
  const database = uniqueDatabase('SLUICE_MODES');
  let sessions: SessionPool;
  const writers: Writer[] = [];

  async function openWriter(extra: Record<string, string>): Promise<Writer> {
    const writer = snowflake.createWriter({ logger: silentLogger(), env: fakesnowEnv(database, extra) });
    writers.push(writer);
    await writer.open();
    return writer;
  }

  async function query(sql: string): Promise<Readonly<Record<string, unknown>>[]> {
    const session = await sessions.acquire();
    try {
      return await session.execute(sql);
    } finally {
      sessions.release(session);
    }
  }

  before(async () => {
    await requireFakesnow();
    sessions = testSessions(database);
  });

  after(async () => {
    for (const writer of writers) await writer.close();
    await sessions?.close();
  });

  it('soft deletes mark rows instead of removing them, and an upsert revives them', async () => {
    const writer = await openWriter({ SLUICE_SNOWFLAKE_SOFT_DELETE: 'true' });
    const table = { namespace: null, name: 'soft' };
    await writer.write(batchOf(table, schema, [upsert(schema, { id: 1n, name: 'a', amount: '1.00' }), upsert(schema, { id: 2n, name: 'b', amount: '2.00' })]), context);
    await writer.write(batchOf(table, schema, [remove(schema, { id: 1n }), remove(schema, { id: 99n })]), context);
    const marked = await query(`SELECT "id"::VARCHAR AS "id", "name", "__sluice_deleted" AS "deleted", "__sluice_synced_at" IS NOT NULL AS "synced" FROM "${database}"."PUBLIC"."soft" ORDER BY "id"`);
    assert.deepEqual(marked, [
      { id: '1', name: 'a', deleted: true, synced: true },
      { id: '2', name: 'b', deleted: false, synced: true },
    ]);
    await writer.write(batchOf(table, schema, [upsert(schema, { id: 1n, name: 'a again', amount: '3.00' })]), context);
    const revived = await query(`SELECT "name", "__sluice_deleted" AS "deleted" FROM "${database}"."PUBLIC"."soft" WHERE "id" = 1`);
    assert.deepEqual(revived, [{ name: 'a again', deleted: false }]);
  });

  it('logs in with an encrypted key pair (JWT) and writes', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const directory = mkdtempSync(path.join(tmpdir(), 'sluice-sf-jwt-'));
    const keyFile = path.join(directory, 'rsa_key.p8');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass phrase' }));
    const writer = await openWriter({
      SLUICE_SNOWFLAKE_PASSWORD: '',
      SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE: keyFile,
      SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: 'pass phrase',
    });
    const table = { namespace: null, name: 'jwt' };
    await writer.write(batchOf(table, schema, [upsert(schema, { id: 7n, name: 'by key pair', amount: '7.00' })]), context);
    assert.deepEqual(await query(`SELECT "name" FROM "${database}"."PUBLIC"."jwt"`), [{ name: 'by key pair' }]);
  });

  it('loads a batch larger than one staging chunk in several documents', async () => {
    const writer = await openWriter({ SLUICE_SNOWFLAKE_STAGE_CHUNK_BYTES: '2048' });
    const table = { namespace: null, name: 'chunked' };
    const random = new SeededRandom(11);
    const model = new TableModel();
    for (let round = 0; round < 2; round += 1) {
      const changes = Array.from({ length: 400 }, (_, index) => {
        const id = BigInt(index);
        if (round === 1 && index % 7 === 0) return remove(schema, { id });
        const row: Record<string, Value> = { id, name: random.text(30), amount: `${random.integer(0, 99999)}.${String(random.integer(0, 99)).padStart(2, '0')}` };
        return upsert(schema, row);
      });
      const batch = batchOf(table, schema, changes);
      await writer.write(batch, context);
      model.apply(batch);
    }
    const rows = await readSnowflakeTable(sessions, database, table, schema);
    assert.deepEqual(canonicalRows(schema, rows), model.expected(schema));
  });

  it('upper-cases names with SLUICE_SNOWFLAKE_IDENTIFIER_CASE=upper, so unquoted SQL finds them', async () => {
    const writer = await openWriter({ SLUICE_SNOWFLAKE_IDENTIFIER_CASE: 'upper' });
    await writer.write(batchOf({ namespace: 'sales', name: 'orders' }, schema, [upsert(schema, { id: 1n, name: 'upper', amount: '5.50' })]), context);
    const described = await query(`DESCRIBE TABLE "${database}".SALES.ORDERS`);
    assert.deepEqual(
      described.map((row) => row.name),
      ['ID', 'NAME', 'AMOUNT'],
    );
    assert.deepEqual(await query(`SELECT NAME FROM "${database}".SALES.ORDERS WHERE ID = 1`), [{ NAME: 'upper' }]);
  });

  it('with AUTO_CREATE=false, a missing table stops the service (fatal)', async () => {
    const writer = await openWriter({ SLUICE_SNOWFLAKE_AUTO_CREATE: 'false' });
    await assert.rejects(writer.write(batchOf({ namespace: null, name: 'never_created' }, schema, [upsert(schema, { id: 1n })]), context), (error: unknown) => {
      assert.ok(isSinkError(error));
      assert.equal(error.errorClass, 'fatal', error.message);
      return true;
    });
  });
});
