/**
 * A pooled connection held for one unit of work. pg's pool listens for 'error' only on idle
 * clients: a checked-out client whose server connection dies (terminated backend, server
 * restart) emits 'error' with no listener, which would crash the process. A PooledConnection
 * listens for the whole time it is held, remembers the failure, and hands a broken client back
 * to the pool as broken so it is discarded rather than reused.
 */
import type pg from 'pg';

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export class PooledConnection {
  readonly client: pg.PoolClient;
  #released = false;
  #broken: Error | undefined;
  readonly #onError = (error: Error): void => {
    this.#broken ??= error;
  };

  private constructor(client: pg.PoolClient) {
    this.client = client;
    client.on('error', this.#onError);
  }

  static async checkout(pool: pg.Pool): Promise<PooledConnection> {
    return new PooledConnection(await pool.connect());
  }

  get released(): boolean {
    return this.#released;
  }

  /** Rolls back the open transaction if the connection still works; never throws. */
  async rollback(): Promise<void> {
    if (this.#released || this.#broken !== undefined) return;
    try {
      await this.client.query('ROLLBACK');
    } catch (error) {
      this.#broken ??= asError(error);
    }
  }

  /** Returns the client to the pool (discarded when broken or when `error` is given); idempotent. */
  release(error?: Error): void {
    if (this.#released) return;
    this.#released = true;
    this.#broken ??= error;
    // The pool re-attaches its own idle error listener before we remove ours, so no gap.
    this.client.release(this.#broken);
    this.client.removeListener('error', this.#onError);
  }
}

/** BEGIN … COMMIT around `work` on a pooled connection; rolled back (and rethrown) on failure. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const connection = await PooledConnection.checkout(pool);
  try {
    await connection.client.query('BEGIN');
    const result = await work(connection.client);
    await connection.client.query('COMMIT');
    return result;
  } catch (error) {
    await connection.rollback();
    throw error;
  } finally {
    connection.release();
  }
}
