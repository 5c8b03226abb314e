/**
 * The conformance harness of the BigQuery writer, on goccy/bigquery-emulator
 * (scripts/services.sh up bigquery). Each run writes into its own dataset; namespaces are
 * datasets named by the writer's own rule (hostile hints are cleaned and hashed by it).
 * `readTable` selects every column as text (CAST … AS STRING, TO_BASE64, TO_JSON_STRING, arrays
 * element by element) and turns it back into the Value representation by the column's logical
 * type, so int64, decimals and timestamps are compared exactly.
 */
import type { BigQuery } from '@google-cloud/bigquery';
import type { LogicalType, Row, TableSchema, Value } from '../../src/cdc/types.ts';
import { silentLogger } from '../../src/observe/logger.ts';
import type { TableBatch, TargetTable, WriteContext, WriteResult, Writer } from '../../src/writer/types.ts';
import bigquery from '../../connectors/bigquery/index.ts';
import { type TableRef, columnNames, datasetName, qualifiedName, quoteIdentifier, tableName } from '../../connectors/bigquery/statements.ts';
import { columnType } from '../../connectors/bigquery/type-map.ts';
import { EMULATOR_PROJECT, createDataset, dropDataset, emulatorClient, emulatorEnv, requireEmulator, uniqueDataset } from '../integration/bigquery/emulator-service.ts';
import { column } from './batches.ts';
import type { ConformanceHarness, PoisonCase } from './harness.ts';

/** How a column is selected: always as STRING (or an array of STRING as JSON text). */
export function readExpression(type: LogicalType, quotedColumn: string): string {
  const { scalar, repeated } = columnType(type);
  const asText = (expression: string) => {
    switch (scalar.type) {
      case 'BYTES':
        return `TO_BASE64(${expression})`;
      case 'JSON':
        // TO_JSON_STRING(NULL) is 'null', like a JSON null document: keep SQL NULL apart.
        return `IF(${expression} IS NULL, NULL, TO_JSON_STRING(${expression}))`;
      default:
        // FLOAT64 too: the SDK turns the REST text '+Inf' into null; CAST keeps all 17 digits.
        return `CAST(${expression} AS STRING)`;
    }
  };
  if (repeated) return `TO_JSON_STRING(ARRAY(SELECT ${asText('e')} FROM UNNEST(${quotedColumn}) AS e WITH OFFSET AS o ORDER BY o))`;
  return asText(quotedColumn);
}

function decodeScalar(type: LogicalType, text: string): Value {
  switch (type.kind) {
    case 'boolean':
      return text === 'true';
    case 'int8':
    case 'int16':
    case 'int32':
      return Number(text);
    case 'int64':
      return BigInt(text);
    case 'float32':
    case 'float64':
      return floatFromText(text);
    case 'bytes':
      return new Uint8Array(Buffer.from(text, 'base64'));
    case 'array':
      // A nested array, stored as JSON.
      return text;
    default:
      return text;
  }
}

function floatFromText(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** One cell as read by readExpression, back to a Value. */
export function decodeCell(type: LogicalType, cell: unknown): Value {
  if (cell === null || cell === undefined) return null;
  const { repeated } = columnType(type);
  if (repeated && type.kind === 'array') {
    const items = JSON.parse(String(cell)) as (string | null)[];
    return items.map((item) => (item === null ? null : decodeScalar(type.element, item)));
  }
  if (type.kind === 'float32' || type.kind === 'float64') return typeof cell === 'number' ? cell : floatFromText(String(cell));
  if (type.kind === 'array') return nestedArray(type.element, JSON.parse(String(cell)) as unknown[]);
  return decodeScalar(type, String(cell));
}

function nestedArray(element: LogicalType, items: readonly unknown[]): Value {
  return items.map((item): Value => {
    if (item === null) return null;
    if (element.kind === 'array') return nestedArray(element.element, item as unknown[]);
    if (element.kind === 'int64') return BigInt(String(item));
    return typeof item === 'string' ? decodeScalar(element, item) : (item as Value);
  });
}

/** Where the writer puts a TargetTable in dataset mode (SLUICE_BIGQUERY_NAMESPACES=dataset). */
export function emulatorTableRef(defaultDataset: string, table: TargetTable): TableRef {
  return { project: EMULATOR_PROJECT, dataset: table.namespace === null ? defaultDataset : datasetName(table.namespace), table: tableName(table.name) };
}

/** Every row of a table (none when it does not exist), in the Value representation. */
export async function readBigQueryTable(client: BigQuery, ref: TableRef, schema: TableSchema): Promise<Row[]> {
  const [exists] = await client.dataset(ref.dataset).table(ref.table).exists();
  if (!exists) return [];
  const names = columnNames(schema.columns);
  const selects = schema.columns.map((col, index) => `${readExpression(col.type, quoteIdentifier(names[index] as string))} AS r${index}`);
  const [rows] = await client.query({ query: `SELECT ${selects.join(', ')} FROM ${qualifiedName(ref)}` });
  return (rows as Record<string, unknown>[]).map((row) => new Map(schema.columns.map((col, index) => [col.name, decodeCell(col.type, row[`r${index}`])])));
}

/**
 * BigQuery stores a NULL array as an empty one (REPEATED fields have no NULL): what the suite
 * expects as NULL reads back as [].
 */
function normaliseExpected(type: LogicalType, value: Value): Value {
  if (type.kind === 'array' && type.element.kind !== 'array' && value === null) return [];
  return value;
}

const poisonCases: readonly PoisonCase[] = [
  { description: 'an array with a NULL element (BigQuery arrays cannot hold NULL)', column: column('numbers', { kind: 'array', element: { kind: 'int32' } }), value: [1, null, 3] },
  { description: 'a date that does not exist', column: column('day', { kind: 'date' }), value: '2021-02-30' },
  { description: 'JSON text that does not parse', column: column('doc', { kind: 'json' }), value: '{"unterminated": ' },
];
// Not listed: a decimal wider than its NUMERIC(5, 2) column. BigQuery refuses it (poison by
// errors.ts), but the emulator neither enforces NUMERIC parameters nor rejects non-numeric text.

/**
 * Golden columns not checked on the emulator, with the reason (printed by the suite). The array
 * columns hold NULL elements in their golden rows, which BigQuery itself cannot store (the
 * writer refuses them as poison: see the poison case). The float columns are an emulator limit:
 * it keeps rows in SQLite, which stores NaN as NULL and -0.0 as 0 (BigQuery keeps both; finite
 * and infinite values are checked in test/integration/bigquery/writer.test.ts).
 */
const unsupportedGolden = new Map<string, string>([
  ...['array_int32', 'array_int64', 'array_string', 'array_bytes'].map(
    (name): [string, string] => [name, 'its golden rows hold NULL array elements, which BigQuery arrays cannot store (written as poison instead)'],
  ),
  ...['float32', 'float64'].map((name): [string, string] => [name, 'the emulator stores NaN as NULL and -0 as 0 (SQLite); BigQuery keeps both']),
]);

/**
 * BigQuery table names are case-sensitive ("MixedCase" and "mixedcase" are two tables); the
 * emulator keeps each table in SQLite, whose names are case-insensitive, so the two collide
 * there. On the emulator only, a table name with upper-case letters is written and read under the
 * name plus a marker of where its upper-case letters are, which keeps such pairs apart and leaves
 * every other character as the suite chose it (the writer's naming rule still applies).
 */
export function emulatorTable(table: TargetTable): TargetTable {
  const upper = [...table.name].flatMap((char, index) => (char !== char.toLowerCase() ? [index] : []));
  return upper.length === 0 ? table : { ...table, name: `${table.name}-upper-${upper.join('-')}` };
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

export class BigQueryHarness implements ConformanceHarness {
  readonly name = 'bigquery (goccy/bigquery-emulator v0.8.1)';
  readonly capabilities = {
    // Column names are at most 300 characters and the naming rule keeps only ASCII in them; table
    // names keep up to 1024 bytes. The suite's hostile names are longer than neither after the rule.
    maxIdentifierBytes: 300,
    poisonCases,
    unsupportedGolden,
    normaliseExpected,
    unsupportedCases: new Map([
      [
        'adds a new column when the schema grows',
        'goccy/bigquery-emulator v0.8.1 cannot add a column: ALTER TABLE ADD COLUMN succeeds without changing the table and tables.patch changes only the metadata (the writer uses ALTER TABLE ADD COLUMN, which BigQuery applies)',
      ],
    ]),
  } as const satisfies ConformanceHarness['capabilities'];

  readonly dataset = uniqueDataset('sluice_conf');
  readonly #namespaces = new Set<string>();
  #client: BigQuery | null = null;

  get client(): BigQuery {
    if (this.#client === null) throw new Error('setUp() first');
    return this.#client;
  }

  async setUp(): Promise<void> {
    await requireEmulator();
    this.#client = await emulatorClient();
    await createDataset(this.client, this.dataset);
    console.log(
      '# bigquery conformance runs on goccy/bigquery-emulator: SQLite matches table names case-insensitively, so table names with upper-case letters get a marker suffix on the emulator (see emulatorTable)',
    );
  }

  async tearDown(): Promise<void> {
    if (this.#client === null) return;
    await dropDataset(this.client, this.dataset);
  }

  createWriter(): Writer {
    return new EmulatorNamedWriter(bigquery.createWriter({ logger: silentLogger(), env: emulatorEnv(this.dataset) }));
  }

  /** The hint as given plus a unique suffix: the writer's naming rule turns it into a dataset. */
  async createNamespace(hint: string): Promise<string> {
    const namespace = `${hint}_${Math.random().toString(16).slice(2, 8)}`;
    this.#namespaces.add(namespace);
    return namespace;
  }

  async dropNamespace(namespace: string): Promise<void> {
    await dropDataset(this.client, datasetName(namespace));
  }

  readTable(table: TargetTable, schema: TableSchema): Promise<readonly Row[]> {
    return readBigQueryTable(this.client, emulatorTableRef(this.dataset, emulatorTable(table)), schema);
  }
}
