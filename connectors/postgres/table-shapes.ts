/**
 * Makes sure a target table can take a batch (exists, has every column, has a unique index on
 * the key) and remembers the answer per schema fingerprint, so the catalog is read once per
 * table version rather than once per batch.
 *
 * DDL is idempotent (IF NOT EXISTS everywhere) and serialised between replicas with
 * transaction-scoped advisory locks: first on the schema (only when it must be created), then on
 * the table, always in that order, so two replicas can neither deadlock nor race
 * CREATE TABLE / ADD COLUMN. The catalog is read without any lock first: in the steady state
 * (table already right) no lock is taken at all.
 */
import type pg from 'pg';
import type { TableSchema } from '../../src/cdc/types.ts';
import { SinkError } from '../../src/errors.ts';
import type { Logger } from '../../src/observe/logger.ts';
import {
  type ColumnDefinition,
  addColumnsSql,
  advisoryLockSql,
  createSchemaSql,
  createTableSql,
  qualifiedName,
  schemaExistsSql,
  tableColumnsSql,
  uniqueKeysSql,
} from './statements.ts';
import { inTransaction } from './connection.ts';
import { postgresType } from './type-map.ts';

export interface TableShape {
  /** The quoted, schema-qualified name. */
  readonly qualified: string;
  /** Type text (format_type) of every column of the target table. */
  readonly columnTypes: ReadonlyMap<string, string>;
}

interface CatalogState {
  readonly columnTypes: Map<string, string>;
  readonly uniqueKeys: readonly (readonly string[])[];
}

export class TableShapes {
  readonly #pool: pg.Pool;
  readonly #autoCreate: boolean;
  readonly #logger: Logger;
  /** `${schema}\0${table}\0${fingerprint}` → shape. */
  readonly #known = new Map<string, TableShape>();
  readonly #pending = new Map<string, Promise<TableShape>>();

  constructor(pool: pg.Pool, autoCreate: boolean, logger: Logger) {
    this.#pool = pool;
    this.#autoCreate = autoCreate;
    this.#logger = logger;
  }

  async ensure(schema: string, table: string, tableSchema: TableSchema): Promise<TableShape> {
    const cacheKey = `${schema}\u0000${table}\u0000${tableSchema.fingerprint}`;
    const known = this.#known.get(cacheKey);
    if (known !== undefined) return known;
    // Concurrent batches of one new table version share one check instead of queueing on the lock.
    let pending = this.#pending.get(cacheKey);
    if (pending === undefined) {
      pending = this.#check(cacheKey, schema, table, tableSchema).finally(() => this.#pending.delete(cacheKey));
      this.#pending.set(cacheKey, pending);
    }
    return pending;
  }

  async #check(cacheKey: string, schema: string, table: string, tableSchema: TableSchema): Promise<TableShape> {

    const qualified = qualifiedName(schema, table);
    if (tableSchema.key.length === 0) {
      throw new SinkError('poison', `${qualified} has no primary key in the change events; an upsert writer needs one`, {
        code: 'pg.no_primary_key',
      });
    }
    let state = await readCatalog(this.#pool, schema, table);
    if (needsDdl(state, tableSchema)) {
      if (!this.#autoCreate) throw missingShapeError(qualified, state, tableSchema);
      state = await this.#applyDdl(schema, table, qualified, tableSchema);
    }
    checkUsable(qualified, state, tableSchema);
    const shape: TableShape = { qualified, columnTypes: state.columnTypes };
    this.#known.set(cacheKey, shape);
    return shape;
  }

  /** Forget what we know about a table (it was dropped or altered under us). */
  forget(schema: string, table: string): void {
    const prefix = `${schema}\u0000${table}\u0000`;
    for (const key of this.#known.keys()) if (key.startsWith(prefix)) this.#known.delete(key);
  }

  #applyDdl(schema: string, table: string, qualified: string, tableSchema: TableSchema): Promise<CatalogState> {
    return inTransaction(this.#pool, async (client) => {
      if ((await client.query(schemaExistsSql, [schema])).rowCount === 0) {
        await client.query(advisoryLockSql, [`sluice.ddl.schema:${schema}`]);
        await client.query(createSchemaSql(schema));
      }
      await client.query(advisoryLockSql, [`sluice.ddl.table:${schema}.${table}`]);
      const state = await readCatalog(client, schema, table);
      const definitions: ColumnDefinition[] = tableSchema.columns.map((column) => ({ name: column.name, type: postgresType(column.type) }));
      if (state.columnTypes.size === 0) {
        await client.query(createTableSql(qualified, definitions, tableSchema.key));
        this.#logger.info({ event: 'table-created', table: qualified }, 'created target table');
      } else {
        const missing = definitions.filter((definition) => !state.columnTypes.has(definition.name));
        if (missing.length > 0) {
          await client.query(addColumnsSql(qualified, missing));
          this.#logger.info({ event: 'columns-added', table: qualified, columns: missing.map((column) => column.name) }, 'added columns');
        }
      }
      return readCatalog(client, schema, table);
    });
  }
}

async function readCatalog(queryable: pg.Pool | pg.PoolClient, schema: string, table: string): Promise<CatalogState> {
  const columns = await queryable.query<{ name: string; type: string }>(tableColumnsSql, [schema, table]);
  const keys = await queryable.query<{ columns: string[] }>(uniqueKeysSql, [schema, table]);
  return {
    columnTypes: new Map(columns.rows.map((row) => [row.name, row.type])),
    uniqueKeys: keys.rows.map((row) => row.columns),
  };
}

function needsDdl(state: CatalogState, tableSchema: TableSchema): boolean {
  return state.columnTypes.size === 0 || tableSchema.columns.some((column) => !state.columnTypes.has(column.name));
}

function missingShapeError(qualified: string, state: CatalogState, tableSchema: TableSchema): SinkError {
  if (state.columnTypes.size === 0) {
    return new SinkError('fatal', `${qualified} does not exist and SLUICE_PG_AUTO_CREATE is false`, { code: 'pg.missing_table' });
  }
  const missing = tableSchema.columns.filter((column) => !state.columnTypes.has(column.name)).map((column) => column.name);
  return new SinkError('fatal', `${qualified} lacks columns ${JSON.stringify(missing)} and SLUICE_PG_AUTO_CREATE is false`, {
    code: 'pg.missing_column',
  });
}

/** ON CONFLICT (key) needs a unique index whose column set is exactly the key. */
function checkUsable(qualified: string, state: CatalogState, tableSchema: TableSchema): void {
  const key = [...tableSchema.key].sort();
  const matches = state.uniqueKeys.some((columns) => columns.length === key.length && [...columns].sort().every((name, index) => name === key[index]));
  if (!matches) {
    throw new SinkError('fatal', `${qualified} has no primary key or unique index on exactly ${JSON.stringify(tableSchema.key)}`, {
      code: 'pg.no_unique_key',
    });
  }
}
