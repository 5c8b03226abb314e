/**
 * Error classification (connectors/snowflake/errors.ts) over recorded Snowflake answers. Each
 * recorded login or statement answer is served by a loopback HTTP server speaking the Snowflake
 * REST protocol, so the error object classified is the one snowflake-sdk itself builds from it.
 * Answers the SDK absorbs itself (session renewal, 429/5xx retries) are classified in the shape
 * the SDK passes on when it gives up.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isSinkError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import { parseSnowflakeConfig } from '../../../connectors/snowflake/config.ts';
import { StagingValueError, classifySnowflakeError, toSinkError } from '../../../connectors/snowflake/errors.ts';
import { SessionPool } from '../../../connectors/snowflake/session-pool.ts';
import { type RecordedError, recordedErrors } from './recorded-errors.ts';

/** What the fake server answers next, for logins and for statements. */
interface Scenario {
  login?: { status: number; body: unknown };
  query?: { status: number; body: unknown };
  /** The answer to a session-token renewal (/session/token-request). */
  renew?: { status: number; body: unknown };
}

function snowflakeErrorBody(recorded: RecordedError): unknown {
  return { data: { errorCode: recorded.code, sqlState: recorded.sqlState, queryId: '01b2c3d4-0000-1234-0000-000000000001' }, code: recorded.code, message: recorded.message, success: false };
}

const loginOk = {
  status: 200,
  body: { data: { token: 'session-token', masterToken: 'master-token', serverVersion: '9.0.0', parameters: [], sessionInfo: { databaseName: 'DB', schemaName: 'PUBLIC' } }, success: true },
};

let server: Server;
let scenario: Scenario = {};

function poolFor(url: string): SessionPool {
  const config = parseSnowflakeConfig({
    SLUICE_SNOWFLAKE_ACCOUNT: 'recorded',
    SLUICE_SNOWFLAKE_ACCESS_URL: url,
    SLUICE_SNOWFLAKE_USER: 'sluice',
    SLUICE_SNOWFLAKE_PASSWORD: 'secret',
    SLUICE_SNOWFLAKE_DATABASE: 'DB',
    SLUICE_SNOWFLAKE_STATEMENT_TIMEOUT_S: '0',
    SLUICE_SNOWFLAKE_QUEUED_TIMEOUT_S: '0',
    SLUICE_SNOWFLAKE_REQUEST_TIMEOUT_MS: '5000',
  });
  return new SessionPool(config, silentLogger());
}

/** The SDK's error for the scenario: from the login when it fails, else from one statement. */
async function sdkError(url: string, next: Scenario): Promise<unknown> {
  scenario = next;
  const pool = poolFor(url);
  try {
    const session = await pool.acquire();
    await session.execute('SELECT 1');
  } catch (error) {
    return error;
  } finally {
    await pool.close();
  }
  assert.fail('expected the statement to fail');
}

describe('Snowflake error classification', () => {
  let url: string;

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const path = request.url ?? '';
        const answer = path.startsWith('/session/v1/login-request')
          ? (scenario.login ?? loginOk)
          : path.startsWith('/queries/v1/query-request')
            ? (scenario.query ?? { status: 200, body: { success: true, data: {} } })
            : path.startsWith('/session/token-request')
              ? (scenario.renew ?? { status: 200, body: { success: true, data: null } })
              : { status: 200, body: { success: true, data: null } };
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  for (const recorded of recordedErrors) {
    it(`${recorded.code} (${recorded.sqlState}) on ${recorded.on} → ${recorded.expected}`, async () => {
      const answer = { status: 200, body: snowflakeErrorBody(recorded) };
      const error =
        recorded.on === 'sdk'
          ? Object.assign(new Error(recorded.message), { name: 'OperationFailedError', code: recorded.code, sqlState: recorded.sqlState })
          : await sdkError(url, recorded.on === 'login' ? { login: answer } : { login: loginOk, query: answer });
      const classification = classifySnowflakeError(error);
      assert.equal(classification.errorClass, recorded.expected, `${recorded.code}: ${recorded.message}`);
      const sinkError = toSinkError(error, 'writing');
      assert.ok(isSinkError(sinkError));
      assert.equal(sinkError.errorClass, recorded.expected);
      assert.match(sinkError.message, new RegExp(`code ${recorded.code}`));
      if (recorded.expected === 'fatal') assert.ok(classification.hint !== undefined || classification.code.startsWith('snowflake.'), 'fatal errors carry a code');
    });
  }

  it('HTTP 503 and 429 → backpressure; HTTP 500 → retryable (when the driver gives up retrying)', () => {
    // snowflake-sdk retries 429/5xx itself and reports RequestFailedError 401002 with the HTTP
    // response only when it gives up; served live, that takes minutes, so the shape is used here.
    for (const [statusCode, expected] of [
      [503, 'backpressure'],
      [429, 'backpressure'],
      [500, 'retryable'],
      [502, 'retryable'],
    ] as const) {
      const error = Object.assign(new Error('Request to Snowflake failed.'), { name: 'RequestFailedError', code: 401002, sqlState: '08001', response: { statusCode } });
      assert.equal(classifySnowflakeError(error).errorClass, expected, `HTTP ${statusCode}`);
    }
  });

  it('a refused connection → retryable, and the session is dropped', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await sdkError(`http://127.0.0.1:${port}`, {});
    const classification = classifySnowflakeError(error);
    assert.equal(classification.errorClass, 'retryable');
    assert.equal(classification.reconnect, true);
  });

  it('a session whose token renewal fails (390112, then 390114) → retryable with a new login', async () => {
    const expired = recordedErrors.find((candidate) => candidate.code === '390112') as RecordedError;
    const masterExpired = recordedErrors.find((candidate) => candidate.code === '390114') as RecordedError;
    const error = await sdkError(url, {
      login: loginOk,
      query: { status: 200, body: snowflakeErrorBody(expired) },
      renew: { status: 200, body: snowflakeErrorBody(masterExpired) },
    });
    const classification = classifySnowflakeError(error);
    assert.equal(classification.errorClass, 'retryable', String(error));
    assert.equal(classification.reconnect, true);
  });

  it('session expiry asks for a new login; a rejected value does not', () => {
    assert.equal(classifySnowflakeError({ code: '390114', sqlState: '08001', message: 'Authentication token has expired.' }).reconnect, true);
    assert.equal(classifySnowflakeError({ code: '100038', sqlState: '22018', message: "Numeric value 'x' is not recognized" }).reconnect, false);
  });

  it('a data error whose value mentions "queued" stays poison', () => {
    const error = { code: '100999', sqlState: '22018', message: "Numeric value 'queued' is not recognized" };
    assert.equal(classifySnowflakeError(error).errorClass, 'poison');
  });

  it('queueing and concurrency messages without a known code → backpressure', () => {
    const error = { code: '000999', sqlState: '57014', message: 'Statement was queued for too long and exceeded the concurrency limit of the warehouse' };
    assert.equal(classifySnowflakeError(error).errorClass, 'backpressure');
  });

  it('values the writer cannot encode → poison; anything not understood → fatal', () => {
    assert.equal(classifySnowflakeError(new StagingValueError('expected bytes')).errorClass, 'poison');
    assert.equal(classifySnowflakeError(new Error('something odd')).errorClass, 'fatal');
  });

  it('never puts the password into the message', async () => {
    const recorded = recordedErrors.find((candidate) => candidate.code === '390100') as RecordedError;
    const error = await sdkError(url, { login: { status: 200, body: snowflakeErrorBody(recorded) } });
    assert.doesNotMatch(toSinkError(error, 'logging in').message, /secret/);
  });
});
