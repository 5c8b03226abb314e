/**
 * The Snowflake writer's orchestration against a scripted session source (no server): the order
 * of statements of one batch, DDL only on first sight and on schema growth, one transaction
 * around TRUNCATE + MERGE, what happens to the session after each kind of failure (rolled back
 * and reused, or dropped without waiting on it), and the class of the error thrown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSinkError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import { parseSnowflakeConfig } from '../../../connectors/snowflake/config.ts';
import type { ResultRow, SessionSource, SnowflakeSession } from '../../../connectors/snowflake/session-pool.ts';
import { SnowflakeWriter } from '../../../connectors/snowflake/writer.ts';
import { batchOf, column, remove, tableSchema, upsert } from '../../conformance/batches.ts';

const context = { signal: new AbortController().signal };
const config = parseSnowflakeConfig({
  SLUICE_SNOWFLAKE_ACCOUNT: 'scripted',
  SLUICE_SNOWFLAKE_USER: 'sluice',
  SLUICE_SNOWFLAKE_PASSWORD: 'secret',
  SLUICE_SNOWFLAKE_DATABASE: 'DB',
});
const v1 = tableSchema([column('id', { kind: 'int64' }, false), column('name', { kind: 'string' })], ['id']);
const v2 = tableSchema([...v1.columns, column('added', { kind: 'date' })], ['id']);
const table = { namespace: 'sales', name: 'orders' };

/** Records every statement; `fail` decides which statement throws what. */
class ScriptedSessions implements SessionSource {
  readonly statements: string[] = [];
  released = 0;
  discarded = 0;
  fail: (sql: string) => unknown = () => undefined;

  async acquire(): Promise<SnowflakeSession> {
    return {
      id: 1,
      execute: async (sql: string): Promise<ResultRow[]> => {
        this.statements.push(sql.split(' ').slice(0, 3).join(' '));
        const error = this.fail(sql);
        if (error !== undefined) throw error;
        if (sql.startsWith('SELECT CURRENT_DATABASE()')) return [{ database: 'DB' }];
        if (sql.startsWith('DESCRIBE TABLE')) return this.described.map((name) => ({ name }));
        return [];
      },
    };
  }
  described: string[] = [];
  release(): void {
    this.released += 1;
  }
  discard(): void {
    this.discarded += 1;
  }
  async close(): Promise<void> {}
}

function snowflakeError(code: string, sqlState: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'OperationFailedError', code, sqlState });
}

describe('Snowflake writer orchestration', () => {
  it('creates what is missing once, then stages, loads and merges in one transaction', async () => {
    const sessions = new ScriptedSessions();
    const writer = new SnowflakeWriter(config, silentLogger(), sessions);
    await writer.open();
    sessions.statements.length = 0;
    sessions.described = ['id', 'name'];
    await writer.write(batchOf(table, v1, [upsert(v1, { id: 1n, name: 'a' }), remove(v1, { id: 2n })]), context);
    assert.deepEqual(sessions.statements, [
      'CREATE SCHEMA IF',
      'USE SCHEMA "DB"."PUBLIC"',
      'CREATE TABLE IF',
      'DESCRIBE TABLE "DB"."sales"."orders"',
      'CREATE OR REPLACE',
      'INSERT INTO "__sluice_stage"',
      'BEGIN',
      'MERGE INTO "DB"."sales"."orders"',
      'COMMIT',
    ]);
    sessions.statements.length = 0;
    await writer.write(batchOf(table, v1, [upsert(v1, { id: 3n, name: 'c' })], true), context);
    assert.deepEqual(sessions.statements, ['CREATE OR REPLACE', 'INSERT INTO "__sluice_stage"', 'BEGIN', 'TRUNCATE TABLE "DB"."sales"."orders"', 'MERGE INTO "DB"."sales"."orders"', 'COMMIT']);
    assert.equal(sessions.released, 3);
  });

  it('adds only the new column when the schema grows, and a truncate alone needs no stage', async () => {
    const sessions = new ScriptedSessions();
    const writer = new SnowflakeWriter(config, silentLogger(), sessions);
    sessions.described = ['id', 'name'];
    await writer.write(batchOf(table, v1, [upsert(v1, { id: 1n })]), context);
    sessions.statements.length = 0;
    await writer.write(batchOf(table, v2, [upsert(v2, { id: 1n, added: '2020-01-01' })]), context);
    assert.deepEqual(sessions.statements.slice(0, 3), ['CREATE TABLE IF', 'DESCRIBE TABLE "DB"."sales"."orders"', 'ALTER TABLE "DB"."sales"."orders"']);
    sessions.statements.length = 0;
    await writer.write(batchOf(table, v2, [], true), context);
    assert.deepEqual(sessions.statements, ['BEGIN', 'TRUNCATE TABLE "DB"."sales"."orders"', 'COMMIT']);
  });

  it('a rejected value: rolls back, keeps the session, throws poison', async () => {
    const sessions = new ScriptedSessions();
    sessions.described = ['id', 'name'];
    const writer = new SnowflakeWriter(config, silentLogger(), sessions);
    sessions.fail = (sql) => (sql.startsWith('MERGE') ? snowflakeError('100038', '22018', "Numeric value 'x' is not recognized") : undefined);
    await assert.rejects(writer.write(batchOf(table, v1, [upsert(v1, { id: 1n })]), context), (error: unknown) => {
      assert.ok(isSinkError(error));
      assert.equal(error.errorClass, 'poison');
      return true;
    });
    assert.equal(sessions.statements.at(-1), 'ROLLBACK');
    assert.deepEqual([sessions.released, sessions.discarded], [1, 0]);
  });

  it('an expired session: drops it without a ROLLBACK on it, throws retryable', async () => {
    const sessions = new ScriptedSessions();
    sessions.described = ['id', 'name'];
    const writer = new SnowflakeWriter(config, silentLogger(), sessions);
    sessions.fail = (sql) => (sql.startsWith('MERGE') ? snowflakeError('390114', '08001', 'Authentication token has expired.') : undefined);
    await assert.rejects(writer.write(batchOf(table, v1, [upsert(v1, { id: 1n })]), context), (error: unknown) => {
      assert.ok(isSinkError(error));
      assert.equal(error.errorClass, 'retryable');
      return true;
    });
    assert.notEqual(sessions.statements.at(-1), 'ROLLBACK');
    assert.deepEqual([sessions.released, sessions.discarded], [0, 1]);
  });

  it('a saturated warehouse during the load → backpressure, before any transaction', async () => {
    const sessions = new ScriptedSessions();
    sessions.described = ['id', 'name'];
    const writer = new SnowflakeWriter(config, silentLogger(), sessions);
    sessions.fail = (sql) =>
      sql.startsWith('INSERT') ? snowflakeError('000630', '57014', 'Statement reached its statement or warehouse timeout of 120 second(s) and was canceled.') : undefined;
    await assert.rejects(writer.write(batchOf(table, v1, [upsert(v1, { id: 1n })]), context), (error: unknown) => {
      assert.ok(isSinkError(error));
      assert.equal(error.errorClass, 'backpressure');
      return true;
    });
    assert.ok(!sessions.statements.includes('BEGIN'));
  });

  it('a table without a primary key is poison; an empty batch writes nothing', async () => {
    const sessions = new ScriptedSessions();
    const writer = new SnowflakeWriter(config, silentLogger(), sessions);
    const keyless = tableSchema([column('a', { kind: 'string' })], []);
    await assert.rejects(writer.write(batchOf(table, keyless, [upsert(keyless, { a: 'x' })]), context), (error: unknown) => {
      assert.ok(isSinkError(error));
      assert.equal(error.errorClass, 'poison');
      return true;
    });
    assert.deepEqual(await writer.write(batchOf(table, v1, []), context), { failures: [] });
    assert.deepEqual(sessions.statements, []);
  });
});
