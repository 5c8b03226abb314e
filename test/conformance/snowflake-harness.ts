/**
 * The conformance harness of the Snowflake writer, on the fakesnow emulator (scripts/services.sh
 * up fakesnow). Each run writes into its own database; `readTable` selects every column as text
 * (or as the driver's exact type for FLOAT, BOOLEAN and BINARY) and turns it back into the Value
 * representation by the column's logical type, so int64, decimals and array elements are
 * compared exactly.
 */
import type { LogicalType, Row, TableSchema, Value } from '../../src/cdc/types.ts';
import { silentLogger } from '../../src/observe/logger.ts';
import type { TableBatch, TargetTable, WriteContext, WriteResult, Writer } from '../../src/writer/types.ts';
import { rawArrayElements } from '../../connectors/elasticsearch/document-json.ts';
import snowflake from '../../connectors/snowflake/index.ts';
import type { SessionPool } from '../../connectors/snowflake/session-pool.ts';
import { qualifiedName, quoteIdentifier } from '../../connectors/snowflake/statements.ts';
import { snowflakeType } from '../../connectors/snowflake/type-map.ts';
import { fakesnowEnv, requireFakesnow, testSessions, uniqueDatabase } from '../integration/snowflake/fakesnow-service.ts';
import { column } from './batches.ts';
import type { ConformanceHarness, PoisonCase } from './harness.ts';

/** How a column is selected for reading back. */
export function readExpression(type: LogicalType, quotedColumn: string): string {
  switch (snowflakeType(type)) {
    case 'FLOAT':
    case 'BOOLEAN':
    case 'BINARY':
      return quotedColumn;
    case 'VARIANT':
    case 'ARRAY':
      return `TO_JSON(${quotedColumn})`;
    default:
      return `${quotedColumn}::VARCHAR`;
  }
}

function decodeElement(type: LogicalType, raw: string): Value {
  if (raw === 'null') return null;
  switch (type.kind) {
    case 'boolean':
      return raw === 'true';
    case 'int8':
    case 'int16':
    case 'int32':
      return Number(raw);
    case 'int64':
      return BigInt(raw);
    case 'float32':
    case 'float64':
      return raw.startsWith('"') ? Number(JSON.parse(raw) as string) : Number(raw);
    case 'json':
    case 'struct':
      return raw;
    case 'bytes':
      return new Uint8Array(Buffer.from(JSON.parse(raw) as string, 'hex'));
    case 'timetz':
      return `${JSON.parse(raw) as string}Z`;
    case 'array':
      return rawArrayElements(raw).map((element) => decodeElement(type.element, element));
    default:
      return JSON.parse(raw) as string;
  }
}

/** One cell as read by readExpression, back to a Value. */
export function decodeCell(type: LogicalType, cell: unknown): Value {
  if (cell === null || cell === undefined) return null;
  switch (type.kind) {
    case 'boolean':
      return cell === true;
    case 'int8':
    case 'int16':
    case 'int32':
      return Number(cell);
    case 'int64':
      return BigInt(String(cell));
    case 'float32':
    case 'float64':
      return Number(cell);
    case 'bytes':
      return new Uint8Array(cell as Buffer);
    case 'timetz':
      return `${String(cell)}Z`;
    case 'array':
      return rawArrayElements(String(cell)).map((element) => decodeElement(type.element, element));
    default:
      return String(cell);
  }
}

/** Every row of a table (none when it does not exist), in the Value representation. */
export async function readSnowflakeTable(sessions: SessionPool, database: string, table: TargetTable, schema: TableSchema): Promise<Row[]> {
  const ref = { database, schema: table.namespace ?? 'PUBLIC', name: table.name };
  const selects = schema.columns.map((col, index) => `${readExpression(col.type, quoteIdentifier(col.name))} AS "r${index}"`);
  const session = await sessions.acquire();
  try {
    const tables = await session.execute(
      `SELECT COUNT(*) AS "n" FROM ${quoteIdentifier(database)}.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [ref.schema, ref.name],
    );
    if (Number(tables[0]?.n ?? 0) === 0) return [];
    const rows = await session.execute(`SELECT ${selects.join(', ')} FROM ${qualifiedName(ref)}`);
    return rows.map((row) => new Map(schema.columns.map((col, index) => [col.name, decodeCell(col.type, row[`r${index}`])])));
  } finally {
    sessions.release(session);
  }
}

/**
 * Inside an ARRAY (a VARIANT) numbers are JSON numbers, and a JSON -0 is stored as the number 0:
 * the sign of a negative zero element is not kept. Plain FLOAT columns keep it.
 */
function normaliseExpected(type: LogicalType, value: Value): Value {
  if (type.kind === 'array' && (type.element.kind === 'float64' || type.element.kind === 'float32') && Array.isArray(value)) {
    return (value as readonly Value[]).map((item) => (Object.is(item, -0) ? 0 : item));
  }
  return value;
}

const poisonCases: readonly PoisonCase[] = [
  { description: 'a decimal wider than its NUMBER(5,2) column', column: column('amount', { kind: 'decimal', precision: 5, scale: 2 }), value: '123456.78' },
  { description: 'a date that does not exist', column: column('day', { kind: 'date' }), value: '2021-02-30' },
];
// Not listed: text that is not JSON in a VARIANT column. Snowflake refuses it with 100069
// (poison, see test/unit/snowflake/errors.test.ts), but fakesnow answers PARSE_JSON of malformed
// text with an HTTP 500 that the driver reports as a failed request (retryable).

/**
 * Snowflake keeps quoted identifiers case-sensitive ("MixedCase" and "mixedcase" are two
 * tables); fakesnow runs on DuckDB, which matches identifiers case-insensitively, so the two
 * collide there. On the emulator only, a table name with upper-case letters is written and read
 * under the name plus a marker of where its upper-case letters are, which keeps such pairs apart
 * and leaves every other character (quotes, spaces, unicode) as the suite chose it.
 */
export function emulatorTable(table: TargetTable): TargetTable {
  const upper = [...table.name].flatMap((char, index) => (char !== char.toLowerCase() ? [index] : []));
  return upper.length === 0 ? table : { ...table, name: `${table.name}~${upper.join('.')}` };
}

class EmulatorNamedWriter implements Writer {
  constructor(readonly inner: Writer) {}
  open(): Promise<void> {
    return this.inner.open();
  }
  write(batch: TableBatch, context: WriteContext): Promise<WriteResult> {
    return this.inner.write({ ...batch, table: emulatorTable(batch.table) }, context);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export class SnowflakeHarness implements ConformanceHarness {
  readonly name = 'snowflake (fakesnow 0.12.1 emulator)';
  readonly capabilities = {
    // Snowflake identifiers are at most 255 characters.
    maxIdentifierBytes: 255,
    poisonCases,
    normaliseExpected,
  } as const satisfies ConformanceHarness['capabilities'];

  readonly database = uniqueDatabase('SLUICE_CONF');
  #sessions: SessionPool | null = null;

  get sessions(): SessionPool {
    if (this.#sessions === null) throw new Error('setUp() first');
    return this.#sessions;
  }

  async setUp(): Promise<void> {
    await requireFakesnow();
    this.#sessions = testSessions(this.database);
    console.log(
      '# snowflake conformance runs on fakesnow: DuckDB matches identifiers case-insensitively, so table names with upper-case letters get a marker suffix on the emulator (see emulatorTable)',
    );
  }

  async tearDown(): Promise<void> {
    if (this.#sessions === null) return;
    const session = await this.#sessions.acquire();
    await session.execute(`DROP DATABASE IF EXISTS ${quoteIdentifier(this.database)}`).catch(() => undefined);
    this.#sessions.release(session);
    await this.#sessions.close();
  }

  createWriter(): Writer {
    return new EmulatorNamedWriter(snowflake.createWriter({ logger: silentLogger(), env: fakesnowEnv(this.database) }));
  }

  /**
   * fakesnow 0.12.1 runs `SET schema='<db>.<schema>'` unquoted after CREATE SCHEMA, which fails
   * for names with quotes, dots, semicolons or spaces, so namespaces are sanitised here; hostile
   * table and column names are still written as given.
   */
  async createNamespace(hint: string): Promise<string> {
    return `${hint.replace(/[^A-Za-z0-9_]+/g, '_')}_${Math.random().toString(16).slice(2, 8)}`;
  }

  async dropNamespace(namespace: string): Promise<void> {
    const session = await this.sessions.acquire();
    try {
      await session.execute(`DROP SCHEMA IF EXISTS ${quoteIdentifier(this.database)}.${quoteIdentifier(namespace)} CASCADE`);
    } finally {
      this.sessions.release(session);
    }
  }

  readTable(table: TargetTable, schema: TableSchema): Promise<readonly Row[]> {
    return readSnowflakeTable(this.sessions, this.database, emulatorTable(table), schema);
  }
}
