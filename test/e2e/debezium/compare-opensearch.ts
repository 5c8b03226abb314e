/**
 * Compares source tables with the documents sluice wrote into OpenSearch, with the same canonical
 * values as the PostgreSQL comparison: PostgreSQL itself turns each document's `_source` back into
 * a row of the source table (jsonb_populate_record on the search answer, parsed as jsonb so no
 * number passes through a JS float), and both sides go through compare-postgres.ts.
 *
 * Suits tables whose columns have a JSON form PostgreSQL reads back as the column type (numbers,
 * text, decimals as strings, ISO timestamps, arrays); bytea (base64 in documents) and hstore do not.
 */
import type pg from 'pg';
import { type ComparisonReport, canonicalRows, diffRows, primaryKey, type TableDifference, type TableReport, tableColumns } from './compare-postgres.ts';

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

async function searchAll(nodeUrl: string, index: string): Promise<string> {
  const refresh = await fetch(`${nodeUrl}/${encodeURIComponent(index)}/_refresh`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
  if (!refresh.ok) throw new Error(`refreshing ${index} answered ${refresh.status}: ${await refresh.text()}`);
  const response = await fetch(`${nodeUrl}/${encodeURIComponent(index)}/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ size: 10_000, query: { match_all: {} }, track_total_hits: true }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`searching ${index} answered ${response.status}: ${await response.text()}`);
  return response.text();
}

export async function compareOpenSearch(options: {
  readonly source: pg.Client;
  readonly schema: string;
  readonly tables: readonly string[];
  readonly nodeUrl: string;
  readonly indexOf: (table: string) => string;
}): Promise<ComparisonReport> {
  const { source, schema } = options;
  const differences: TableDifference[] = [];
  const tables: TableReport[] = [];
  for (const table of options.tables) {
    const columns = await tableColumns(source, schema, table);
    const key = await primaryKey(source, schema, table);
    const qualified = `${quote(schema)}.${quote(table)}`;
    const answer = await searchAll(options.nodeUrl, options.indexOf(table));
    const documents = `(SELECT row.* FROM jsonb_array_elements($1::jsonb -> 'hits' -> 'hits') AS hit, jsonb_populate_record(NULL::${qualified}, hit -> '_source') AS row)`;
    const sourceRows = await canonicalRows(source, qualified, columns, key, 'source');
    const documentRows = await canonicalRows(source, documents, columns, key, 'source', [answer]);
    const found = diffRows(table, columns, sourceRows, documentRows);
    differences.push(...found.differences);
    tables.push({ table, sourceRows: sourceRows.size, targetRows: documentRows.size, comparedValues: found.comparedValues });
  }
  return { equal: differences.length === 0, tables, differences };
}

/** Deletes the indices (absent ones are fine). */
export async function deleteIndices(nodeUrl: string, indices: readonly string[]): Promise<void> {
  for (const index of indices) {
    const response = await fetch(`${nodeUrl}/${encodeURIComponent(index)}`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) });
    if (!response.ok && response.status !== 404) throw new Error(`deleting ${index} answered ${response.status}: ${await response.text()}`);
  }
}

/** True when an OpenSearch (or Elasticsearch) node answers at `nodeUrl`. */
export async function searchServerAnswers(nodeUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${nodeUrl}/_cluster/health`, { signal: AbortSignal.timeout(3_000) });
    return response.ok;
  } catch {
    return false;
  }
}
