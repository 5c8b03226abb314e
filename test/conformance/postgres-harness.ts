/**
 * The conformance harness of the PostgreSQL writer: a unique database per run on the test
 * server, the writer configured through its env vars, and a reader that fetches every column as
 * text (in fixed session formats) and turns it back into the Value representation.
 */
import pg from 'pg';
import type { LogicalType, Row, TableSchema, Value } from '../../src/cdc/types.ts';
import { silentLogger } from '../../src/observe/logger.ts';
import type { TargetTable, Writer } from '../../src/writer/types.ts';
import postgres from '../../connectors/postgres/index.ts';
import { MAX_IDENTIFIER_BYTES, qualifiedName, quoteIdentifier } from '../../connectors/postgres/statements.ts';
import { type TestDatabase, createUniqueDatabase, startServices } from '../support/services.ts';
import type { ConformanceHarness } from './harness.ts';

/** Session settings that make the text of every type unambiguous. */
const readSettings = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'iso_8601'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
];

export class PostgresHarness implements ConformanceHarness {
  readonly name = 'postgres';
  readonly capabilities = {
    maxIdentifierBytes: MAX_IDENTIFIER_BYTES,
    poisonCases: [
      { description: 'numeric overflow', column: { name: 'amount', type: { kind: 'decimal', precision: 5, scale: 2 }, optional: true }, value: '123456.78' },
      { description: 'NUL byte in text', column: { name: 'text', type: { kind: 'string' }, optional: true }, value: 'nul\u0000byte' },
      { description: 'invalid JSON', column: { name: 'doc', type: { kind: 'json' }, optional: true }, value: '{not json' },
      { description: 'impossible date', column: { name: 'day', type: { kind: 'date' }, optional: true }, value: '2023-02-30' },
      { description: 'lone UTF-16 surrogate', column: { name: 's', type: { kind: 'string' }, optional: true }, value: 'a\ud800b' },
    ],
  } as const satisfies ConformanceHarness['capabilities'];

  #database: TestDatabase | null = null;
  #reader: pg.Client | null = null;

  get database(): TestDatabase {
    if (this.#database === null) throw new Error('setUp() first');
    return this.#database;
  }

  async setUp(): Promise<void> {
    await startServices();
    this.#database = await createUniqueDatabase('sluice_conformance');
    this.#reader = new pg.Client({ connectionString: this.#database.url });
    await this.#reader.connect();
    for (const statement of readSettings) await this.#reader.query(statement);
  }

  async tearDown(): Promise<void> {
    await this.#reader?.end();
    await this.#database?.drop();
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { SLUICE_PG_URL: this.database.url, SLUICE_PG_POOL_SIZE: '4', ...extra };
  }

  createWriter(): Writer {
    return postgres.createWriter({ env: this.env(), logger: silentLogger() });
  }

  async createNamespace(hint: string): Promise<string> {
    return `${hint}_${Math.random().toString(36).slice(2, 8)}`;
  }

  async dropNamespace(namespace: string): Promise<void> {
    await this.#client().query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(namespace)} CASCADE`);
  }

  async readTable(table: TargetTable, schema: TableSchema): Promise<readonly Row[]> {
    const client = this.#client();
    const exists = await client.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [table.namespace ?? 'public', table.name]);
    if (exists.rowCount === 0) return [];
    const columns = await client.query<{ name: string }>(
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [table.namespace ?? 'public', table.name],
    );
    const present = new Set(columns.rows.map((row) => row.name));
    const selected = schema.columns.filter((column) => present.has(column.name));
    const list = selected.map((column, index) => `${quoteIdentifier(column.name)}::text AS c${index}`).join(', ');
    const result = await client.query<Record<string, string | null>>(`SELECT ${list} FROM ${qualifiedName(table.namespace ?? 'public', table.name)}`);
    return result.rows.map((raw) => new Map(selected.map((column, index) => [column.name, fromText(column.type, raw[`c${index}`] ?? null)])));
  }

  #client(): pg.Client {
    if (this.#reader === null) throw new Error('setUp() first');
    return this.#reader;
  }
}

/** PostgreSQL output text of one value → Value. */
export function fromText(type: LogicalType, text: string | null): Value {
  if (text === null) return null;
  switch (type.kind) {
    case 'boolean':
      return text === 't' || text === 'true';
    case 'int8':
    case 'int16':
    case 'int32':
      return Number(text);
    case 'int64':
      return BigInt(text);
    case 'float32':
    case 'float64':
      return text === 'NaN' ? Number.NaN : text === 'Infinity' ? Number.POSITIVE_INFINITY : text === '-Infinity' ? Number.NEGATIVE_INFINITY : Number(text);
    case 'bytes':
      return new Uint8Array(Buffer.from(text.replace(/^\\x/, ''), 'hex'));
    case 'array':
      return parseArrayLiteral(text).map((element) => (element === null ? null : arrayElementFromText(type.element, element)));
    default:
      return text;
  }
}

function arrayElementFromText(type: LogicalType, element: string | ArrayNode): Value {
  if (typeof element !== 'string') return element.map((item) => (item === null ? null : arrayElementFromText(type.kind === 'array' ? type.element : type, item)));
  return fromText(type, element);
}

type ArrayNode = (string | null | ArrayNode)[];

/** Parses PostgreSQL array output: `{a,"b c",NULL,{1,2}}`; quoted elements have `\` escapes. */
export function parseArrayLiteral(text: string): (string | null)[] {
  let position = 0;
  const parse = (): ArrayNode => {
    if (text[position] !== '{') throw new Error(`array literal expected at ${position}: ${text}`);
    position += 1;
    const items: ArrayNode = [];
    if (text[position] === '}') {
      position += 1;
      return items;
    }
    for (;;) {
      if (text[position] === '{') {
        items.push(parse());
      } else if (text[position] === '"') {
        position += 1;
        let value = '';
        while (text[position] !== '"') {
          if (text[position] === '\\') position += 1;
          value += text[position];
          position += 1;
        }
        position += 1;
        items.push(value);
      } else {
        let value = '';
        while (text[position] !== ',' && text[position] !== '}') {
          value += text[position];
          position += 1;
        }
        items.push(value === 'NULL' ? null : value);
      }
      if (text[position] === ',') {
        position += 1;
        continue;
      }
      position += 1; // '}'
      return items;
    }
  };
  return parse() as (string | null)[];
}
