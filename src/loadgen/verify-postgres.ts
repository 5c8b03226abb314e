/**
 * Compares PostgreSQL target tables with a workload's expected state, row by row.
 *
 * Method: every target column is read as `::text` through `COPY (SELECT …) TO STDOUT` (streamed,
 * so 1M rows need no more memory than the expected state itself) in a read-only transaction
 * with fixed output settings (DateStyle ISO, TimeZone UTC, bytea_output hex,
 * extra_float_digits 1); both sides are reduced to canonical-text.ts's canonical text per
 * column, so equal data compares equal whatever exact column types the writer chose, and a
 * row is equal when all its canonical texts are. Exact: no hashing, no float comparison.
 */
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Row } from '../cdc/types.ts';
import { canonicalPostgresText, canonicalValueText } from './canonical-text.ts';
import { quoteIdent, type TableDefinition } from './table-definition.ts';
import type { Workload } from './workload.ts';

export interface TargetName {
  readonly schema: string;
  readonly table: string;
}

export interface VerifyPostgresOptions {
  /** A connected client; settings are changed only inside the verification's own transaction. */
  readonly client: pg.Client;
  /** The source of table definitions and expected state… */
  readonly workload?: Workload;
  /** …or both given explicitly. */
  readonly tables?: readonly TableDefinition[];
  readonly expected?: ReadonlyMap<string, ReadonlyMap<string, Row>>;
  /** Where each source table lives in the target; default the same schema and table name. */
  readonly target?: (table: TableDefinition) => TargetName;
  /** How many differences to describe in `samples` (default 10). */
  readonly sampleLimit?: number;
}

export interface ColumnDifference {
  readonly column: string;
  readonly expected: string | null;
  readonly actual: string | null;
}

export interface Difference {
  readonly table: string;
  readonly key: string;
  readonly kind: 'missing' | 'extra' | 'different';
  readonly columns?: readonly ColumnDifference[];
}

export interface TableVerification {
  readonly table: string;
  readonly target: string;
  readonly expectedRows: number;
  readonly actualRows: number;
  readonly missing: number;
  readonly extra: number;
  readonly different: number;
}

export interface VerifyReport {
  readonly equal: boolean;
  readonly missing: number;
  readonly extra: number;
  readonly different: number;
  readonly samples: readonly Difference[];
  readonly tables: readonly TableVerification[];
}

export async function verifyPostgres(options: VerifyPostgresOptions): Promise<VerifyReport> {
  const tables = options.tables ?? options.workload?.tableDefinitions();
  const expected = options.expected ?? options.workload?.expectedState();
  if (!tables || !expected) throw new Error('verifyPostgres needs a workload, or tables and expected');
  const sampleLimit = options.sampleLimit ?? 10;
  const samples: Difference[] = [];
  const results: TableVerification[] = [];
  await options.client.query('BEGIN READ ONLY');
  try {
    await options.client.query(
      "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL TimeZone = 'UTC'; SET LOCAL bytea_output = 'hex'; SET LOCAL extra_float_digits = 1; SET LOCAL IntervalStyle = 'iso_8601'",
    );
    for (const table of tables) {
      const target = options.target?.(table) ?? { schema: table.schema, table: table.name };
      results.push(await verifyTable(options.client, table, target, expected.get(table.name) ?? new Map(), samples, sampleLimit));
    }
  } finally {
    await options.client.query('COMMIT');
  }
  const missing = sum(results, 'missing');
  const extra = sum(results, 'extra');
  const different = sum(results, 'different');
  return { equal: missing + extra + different === 0, missing, extra, different, samples, tables: results };
}

function sum(results: readonly TableVerification[], field: 'missing' | 'extra' | 'different'): number {
  return results.reduce((total, result) => total + result[field], 0);
}

async function verifyTable(
  client: pg.Client,
  table: TableDefinition,
  target: TargetName,
  expectedRows: ReadonlyMap<string, Row>,
  samples: Difference[],
  sampleLimit: number,
): Promise<TableVerification> {
  const qualified = `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
  const columns = table.columns;
  const keyIndexes = table.key.map((name) => columns.findIndex((column) => column.name === name));
  const expectedText = new Map<string, (string | null)[]>();
  for (const [key, row] of expectedRows) {
    expectedText.set(
      key,
      columns.map((column) => canonicalValueText(column.type.logical, row.get(column.name) ?? null)),
    );
  }
  const base = { table: table.name, target: `${target.schema}.${target.table}`, expectedRows: expectedRows.size };
  const exists = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [qualified]);
  if (exists.rows[0]?.oid === null || exists.rows[0]?.oid === undefined) {
    for (const key of expectedText.keys()) addSample(samples, sampleLimit, { table: table.name, key, kind: 'missing' });
    return { ...base, actualRows: 0, missing: expectedRows.size, extra: 0, different: 0 };
  }
  const present = await client.query<{ attname: string }>(
    'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped',
    [qualified],
  );
  const targetColumns = new Set(present.rows.map((row) => row.attname));
  const absent = columns.filter((column) => !targetColumns.has(column.name)).map((column) => column.name);
  if (absent.length > 0) throw new Error(`target table ${base.target} lacks column(s) ${absent.join(', ')}`);

  const select = columns.map((column) => `${quoteIdent(column.name)}::text`).join(', ');
  const seen = new Set<string>();
  let actualRows = 0;
  let extra = 0;
  let different = 0;
  await copyLines(client, `COPY (SELECT ${select} FROM ${qualified}) TO STDOUT`, (fields) => {
    actualRows += 1;
    const actual = columns.map((column, index) => canonicalPostgresText(column.type.logical, fields[index] ?? null));
    const key =
      keyIndexes.length === 1 ? (actual[keyIndexes[0]!] ?? '') : JSON.stringify(keyIndexes.map((index) => actual[index] ?? null));
    const wanted = expectedText.get(key);
    if (!wanted || seen.has(key)) {
      extra += 1;
      addSample(samples, sampleLimit, { table: table.name, key, kind: 'extra' });
      return;
    }
    seen.add(key);
    const differences: ColumnDifference[] = [];
    for (let index = 0; index < columns.length; index++) {
      if (wanted[index] !== actual[index]) {
        differences.push({ column: columns[index]!.name, expected: clip(wanted[index] ?? null), actual: clip(actual[index] ?? null) });
      }
    }
    if (differences.length > 0) {
      different += 1;
      addSample(samples, sampleLimit, { table: table.name, key, kind: 'different', columns: differences });
    }
  });
  let missing = 0;
  for (const key of expectedText.keys()) {
    if (seen.has(key)) continue;
    missing += 1;
    addSample(samples, sampleLimit, { table: table.name, key, kind: 'missing' });
  }
  return { ...base, actualRows, missing, extra, different };
}

function addSample(samples: Difference[], limit: number, difference: Difference): void {
  if (samples.length < limit) samples.push(difference);
}

function clip(text: string | null): string | null {
  return text !== null && text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Streams COPY … TO STDOUT (text format) and hands each row's unescaped fields (null = \N) to onRow. */
async function copyLines(client: pg.Client, sql: string, onRow: (fields: (string | null)[]) => void): Promise<void> {
  const stream = client.query(copyTo(sql));
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let newline = data.indexOf(10, start); newline !== -1; newline = data.indexOf(10, start)) {
      onRow(parseCopyLine(data.toString('utf8', start, newline)));
      start = newline + 1;
    }
    data = data.subarray(start);
    carry = Buffer.from(data);
  }
  if (carry.length > 0) onRow(parseCopyLine(carry.toString('utf8')));
}

const COPY_ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

export function parseCopyLine(line: string): (string | null)[] {
  return line.split('\t').map((field) => {
    if (field === '\\N') return null;
    if (!field.includes('\\')) return field;
    return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_match, sequence: string) => {
      if (sequence.startsWith('x') && sequence.length > 1) return String.fromCharCode(Number.parseInt(sequence.slice(1), 16));
      if (/^[0-7]+$/.test(sequence)) return String.fromCharCode(Number.parseInt(sequence, 8));
      return COPY_ESCAPES[sequence] ?? sequence;
    });
  });
}
