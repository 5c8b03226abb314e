/**
 * The Snowflake emulator for tests: fakesnow behind the Node-driver shim, started by
 * `scripts/services.sh up fakesnow` (127.0.0.1:8085; SLUICE_TEST_FAKESNOW_URL overrides).
 * Snowflake tests run on this emulator, not on Snowflake: see docs/snowflake.md for what it
 * cannot show (warehouse queueing, credits, enforcement of some limits).
 */
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../../../src/observe/logger.ts';
import { parseSnowflakeConfig } from '../../../connectors/snowflake/config.ts';
import { SessionPool } from '../../../connectors/snowflake/session-pool.ts';

export function fakesnowUrl(): string {
  return (process.env.SLUICE_TEST_FAKESNOW_URL ?? 'http://127.0.0.1:8085').replace(/\/+$/, '');
}

/** Fails with the command to run when the emulator does not answer a real query. */
export async function requireFakesnow(): Promise<void> {
  const base = fakesnowUrl();
  const advice = `the Snowflake emulator does not answer at ${base}; start it with: scripts/services.sh up fakesnow`;
  try {
    const login = await fetch(`${base}/session/v1/login-request?databaseName=SLUICE_READY&schemaName=PUBLIC`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: { LOGIN_NAME: 'sluice', PASSWORD: 'fakesnow', SESSION_PARAMETERS: {} } }),
      signal: AbortSignal.timeout(5000),
    });
    const token = ((await login.json()) as { data?: { token?: string } }).data?.token;
    if (token === undefined) throw new Error('no session token');
    const query = await fetch(`${base}/queries/v1/query-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Snowflake Token="${token}"` },
      body: JSON.stringify({ sqlText: 'SELECT 1' }),
      signal: AbortSignal.timeout(5000),
    });
    const answer = (await query.json()) as { success?: boolean; data?: { returned?: number } };
    if (answer.success !== true || answer.data?.returned !== 1) throw new Error('the answer lacks the shim\'s "returned" field');
    await fetch(`${base}/session?delete=true`, { method: 'POST', headers: { authorization: `Snowflake Token="${token}"` } });
  } catch (error) {
    throw new Error(`${advice} (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** A database name no other test uses (fakesnow creates it at login). */
export function uniqueDatabase(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`.toUpperCase();
}

/** Writer settings for the emulator. It implements no ALTER SESSION, so the timeouts stay unset. */
export function fakesnowEnv(database: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLUICE_SNOWFLAKE_ACCOUNT: 'sluice-test',
    SLUICE_SNOWFLAKE_ACCESS_URL: fakesnowUrl(),
    SLUICE_SNOWFLAKE_USER: 'sluice',
    SLUICE_SNOWFLAKE_PASSWORD: 'fakesnow',
    SLUICE_SNOWFLAKE_DATABASE: database,
    SLUICE_SNOWFLAKE_SCHEMA: 'PUBLIC',
    SLUICE_SNOWFLAKE_STATEMENT_TIMEOUT_S: '0',
    SLUICE_SNOWFLAKE_QUEUED_TIMEOUT_S: '0',
    ...extra,
  };
}

/** Sessions for a test's own queries (reading tables back), with the writer's settings. */
export function testSessions(database: string, poolSize = 1): SessionPool {
  return new SessionPool(parseSnowflakeConfig(fakesnowEnv(database, { SLUICE_SNOWFLAKE_POOL_SIZE: String(poolSize) })), silentLogger());
}
