/**
 * Snowflake sessions for the writer: snowflake-sdk is imported here, lazily, the first time a
 * session is needed, so a deployment that writes elsewhere never loads it.
 *
 * A batch holds one session from its staging table to its COMMIT (temporary tables and
 * transactions belong to a session), so the pool hands each session to one batch at a time and
 * opens at most `poolSize`. A session whose failure says it is no longer usable (network, expired
 * tokens) is discarded; the next acquire logs in again.
 *
 * snowflake-sdk retries a statement request itself when the answer is HTTP 429/5xx or the
 * network fails (exponential backoff capped at 16 s; its sfRetryMaxNumRetries parameter is not
 * settable from connection options in 3.x), and renews expired session tokens itself. The core
 * therefore sees a saturated service mostly as rising statement latency, and sees these errors
 * only when the driver gives up; login retries are limited to one.
 */
import type snowflakeSdk from 'snowflake-sdk';
import type { Logger } from '../../src/observe/logger.ts';
import type { SnowflakeConfig } from './config.ts';

type Sdk = typeof snowflakeSdk;
type Binds = snowflakeSdk.Binds;

export type ResultRow = Readonly<Record<string, unknown>>;

export interface SnowflakeSession {
  readonly id: number;
  /** Runs one statement; rejects with the SDK's error object (classified by errors.ts). */
  execute(sqlText: string, binds?: readonly (string | null)[]): Promise<ResultRow[]>;
}

/** Where the writer gets sessions from: the pool below, or a test's stand-in. */
export interface SessionSource {
  acquire(): Promise<SnowflakeSession>;
  /** Returns a healthy session for reuse. */
  release(session: SnowflakeSession): void;
  /** Drops a session that is no longer usable. */
  discard(session: SnowflakeSession): void;
  close(): Promise<void>;
}

let sdkPromise: Promise<Sdk> | null = null;

function loadSdk(logger: Logger): Promise<Sdk> {
  sdkPromise ??= import('snowflake-sdk').then((module) => {
    const sdk = (module.default ?? module) as Sdk;
    const driverLog = logger.child({ component: 'snowflake-sdk' });
    const toDebug = (message: string) => driverLog.debug(message);
    // Driver messages are already secret-masked by the SDK; they go to debug, never to a file.
    sdk.configure({ logLevel: 'WARN', customLogger: { error: toDebug, warn: toDebug, info: toDebug, debug: toDebug, trace: toDebug } });
    return sdk;
  });
  return sdkPromise;
}

class Session implements SnowflakeSession {
  constructor(
    readonly id: number,
    readonly connection: snowflakeSdk.Connection,
  ) {}

  execute(sqlText: string, binds?: readonly (string | null)[]): Promise<ResultRow[]> {
    return new Promise((resolve, reject) => {
      this.connection.execute({
        sqlText,
        ...(binds === undefined ? {} : { binds: [...binds] as Binds }),
        complete: (error, _statement, rows) => (error ? reject(error) : resolve((rows ?? []) as ResultRow[])),
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.connection.destroy(() => resolve()));
  }
}

export class SessionPool implements SessionSource {
  readonly #config: SnowflakeConfig;
  readonly #logger: Logger;
  readonly #idle: Session[] = [];
  readonly #waiters: ((session: Session | null) => void)[] = [];
  #open = 0;
  #nextId = 1;
  #closed = false;

  constructor(config: SnowflakeConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
  }

  async acquire(): Promise<SnowflakeSession> {
    if (this.#closed) throw new Error('the Snowflake session pool is closed');
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#open < this.#config.poolSize) {
      this.#open += 1;
      try {
        return await this.#connect();
      } catch (error) {
        this.#open -= 1;
        this.#wakeForNewSession();
        throw error;
      }
    }
    const session = await new Promise<Session | null>((resolve) => this.#waiters.push(resolve));
    if (session === null) return this.acquire();
    return session;
  }

  release(session: SnowflakeSession): void {
    const owned = session as Session;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(owned);
    else if (this.#closed) void owned.close();
    else this.#idle.push(owned);
  }

  /** Drops a session that is no longer usable; its slot goes to a new login. */
  discard(session: SnowflakeSession): void {
    this.#open -= 1;
    void (session as Session).close();
    this.#wakeForNewSession();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter(null);
    const idle = this.#idle.splice(0);
    this.#open -= idle.length;
    await Promise.all(idle.map((session) => session.close()));
  }

  #wakeForNewSession(): void {
    // A waiter woken with null retries acquire(), which now has a free slot.
    this.#waiters.shift()?.(null);
  }

  async #connect(): Promise<Session> {
    const sdk = await loadSdk(this.#logger);
    const config = this.#config;
    const options: snowflakeSdk.ConnectionOptions & Record<string, unknown> = {
      account: config.account,
      username: config.user,
      database: config.database,
      schema: config.schema,
      application: 'sluice',
      timeout: config.requestTimeoutMs,
      // Binds are one staging document per statement; never let the SDK turn them into PUTs.
      arrayBindingThreshold: 1_000_000_000,
      sfRetryMaxLoginRetries: 1,
      clientSessionKeepAlive: true,
      jsTreatIntegerAsBigInt: true,
      ...(config.accessUrl === null ? {} : { accessUrl: config.accessUrl }),
      ...(config.role === null ? {} : { role: config.role }),
      ...(config.warehouse === null ? {} : { warehouse: config.warehouse }),
      ...(config.auth.kind === 'password'
        ? { password: config.auth.password }
        : { authenticator: 'SNOWFLAKE_JWT', privateKey: config.auth.privateKeyPem }),
    };
    const connection = sdk.createConnection(options);
    // connect(callback) hands over the login's own error (connectAsync reports a later,
    // unrelated "terminated connection" error instead when the login is refused).
    await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
    const session = new Session(this.#nextId++, connection);
    try {
      if (config.statementTimeoutSeconds > 0) await session.execute(`ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = ${config.statementTimeoutSeconds}`);
      if (config.queuedTimeoutSeconds > 0) await session.execute(`ALTER SESSION SET STATEMENT_QUEUED_TIMEOUT_IN_SECONDS = ${config.queuedTimeoutSeconds}`);
    } catch (error) {
      await session.close();
      throw error;
    }
    this.#logger.debug({ event: 'snowflake-session-opened', session: session.id }, 'Snowflake session opened');
    return session;
  }
}
