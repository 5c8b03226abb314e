/**
 * The machine's ingest ceiling for an upsert sink, without Kafka: the same change events,
 * decoded once into a CSV file (one line per c/u/d event: sequence, op, then the row), then
 * `COPY` from that file into an unlogged staging table and one set-based apply — the last
 * event of each key wins; a final delete removes the row, anything else upserts it
 * (INSERT … ON CONFLICT DO UPDATE) — in one transaction. Only the load and apply are timed.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createDecoder } from '../../src/cdc/decode.ts';
import { canonicalValueText, createTableSql, type TableDefinition, type Workload } from '../../src/loadgen/index.ts';

function quoteIdent(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function csvField(text: string | null): string {
  if (text === null) return '';
  return `"${text.replaceAll('"', '""')}"`;
}

/** Decodes every change event of a single-table workload into `file`; returns the events written. */
export async function writeChangeFile(workload: Workload, table: TableDefinition, file: string): Promise<number> {
  const decoder = createDecoder();
  const out = createWriteStream(file);
  let sequence = 0;
  let offset = 0n;
  for (const record of workload.records()) {
    const result = decoder.decode({ topic: record.topic, partition: record.partition, offset: offset++, key: record.key, value: record.value, timestamp: record.timestamp });
    if (result.kind !== 'change' || result.event.kind === 'truncate') continue;
    const event = result.event;
    const row = event.kind === 'upsert' ? event.row : event.key;
    const fields = [String(sequence++), event.kind === 'delete' ? 'd' : 'u'];
    for (const column of table.columns) {
      const value = row.get(column.name);
      fields.push(csvField(value === undefined ? null : canonicalValueText(column.type.logical, value)));
    }
    if (!out.write(`${fields.join(',')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return sequence;
}

export async function createTargetTable(client: pg.Client, table: TableDefinition): Promise<void> {
  await client.query(createTableSql(table, { schema: table.schema, table: table.name }));
}

/** Loads `file` into the (existing, empty) target table the ceiling's way; returns the seconds it took. */
export async function loadCeiling(databaseUrl: string, table: TableDefinition, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const target = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
    const staging = quoteIdent(`${table.name}_staging`);
    const columns = table.columns.map((column) => quoteIdent(column.name));
    const keys = table.key.map(quoteIdent);
    const nonKeys = table.columns.filter((column) => !table.key.includes(column.name)).map((column) => quoteIdent(column.name));
    await client.query(`CREATE UNLOGGED TABLE ${staging} ("seq" bigint, "op" text, ${table.columns.map((column) => `${quoteIdent(column.name)} ${column.type.sql}`).join(', ')})`);
    const started = performance.now();
    await client.query('BEGIN');
    await pipeline(createReadStream(file), client.query(copyFrom(`COPY ${staging} FROM STDIN WITH (FORMAT csv)`)));
    const latest = `(SELECT DISTINCT ON (${keys.join(', ')}) * FROM ${staging} ORDER BY ${keys.join(', ')}, "seq" DESC) AS latest`;
    await client.query(`DELETE FROM ${target} AS t USING ${latest} WHERE latest."op" = 'd' AND ${keys.map((key) => `t.${key} = latest.${key}`).join(' AND ')}`);
    await client.query(
      `INSERT INTO ${target} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${latest} WHERE latest."op" <> 'd' ` +
        `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${nonKeys.map((column) => `${column} = EXCLUDED.${column}`).join(', ')}`,
    );
    await client.query('COMMIT');
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}
