/**
 * BigQuery writer specifics on the emulator (scripts/services.sh up bigquery) that the shared
 * conformance suite does not cover: finite and infinite floats round-trip exactly (the golden
 * float columns are not checked there, because the emulator's SQLite turns NaN into NULL and -0
 * into 0), staging tables are gone after close(), and a missing dataset is fatal at open().
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BigQuery } from '@google-cloud/bigquery';
import { isSinkError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import bigquery from '../../../connectors/bigquery/index.ts';
import { STAGING_PREFIX } from '../../../connectors/bigquery/statements.ts';
import { batchOf, column, tableSchema, upsert } from '../../conformance/batches.ts';
import { emulatorTableRef, readBigQueryTable } from '../../conformance/bigquery-harness.ts';
import { createDataset, dropDataset, emulatorClient, emulatorEnv, requireEmulator, uniqueDataset } from './emulator-service.ts';

const context = { signal: new AbortController().signal };

describe('BigQuery writer on the emulator', () => {
  const dataset = uniqueDataset('sluice_writer');
  let client: BigQuery;

  before(async () => {
    await requireEmulator();
    client = await emulatorClient();
    await createDataset(client, dataset);
  });

  after(async () => {
    if (client !== undefined) await dropDataset(client, dataset);
  });

  it('round-trips finite and infinite floats exactly and leaves no staging table behind', async () => {
    const schema = tableSchema([column('id', { kind: 'int32' }, false), column('x', { kind: 'float64' }), column('y', { kind: 'float32' })], ['id']);
    const values = [0.1, 5e-324, 1.7976931348623157e308, -2.5e-30, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 123456789.12345679];
    const writer = bigquery.createWriter({ logger: silentLogger(), env: emulatorEnv(dataset) });
    await writer.open();
    const table = { namespace: null, name: 'floats' };
    const result = await writer.write(batchOf(table, schema, values.map((x, index) => upsert(schema, { id: index, x, y: Math.fround(x) }))), context);
    assert.deepEqual(result.failures, []);
    await writer.close();
    const rows = await readBigQueryTable(client, emulatorTableRef(dataset, table), schema);
    const byId = new Map(rows.map((row) => [row.get('id'), row]));
    values.forEach((x, index) => {
      assert.ok(Object.is(byId.get(index)?.get('x'), x), `float64 ${x} read back as ${String(byId.get(index)?.get('x'))}`);
      assert.ok(Object.is(byId.get(index)?.get('y'), Math.fround(x)), `float32 ${Math.fround(x)} read back as ${String(byId.get(index)?.get('y'))}`);
    });
    const [tables] = await client.dataset(dataset).getTables();
    assert.deepEqual(
      tables.map((candidate) => candidate.id).filter((id) => id?.startsWith(STAGING_PREFIX)),
      [],
      'staging tables are dropped',
    );
  });

  it('a missing dataset stops the writer at open() (fatal, naming the setting)', async () => {
    const writer = bigquery.createWriter({ logger: silentLogger(), env: emulatorEnv(uniqueDataset('sluice_missing')) });
    await assert.rejects(writer.open(), (error: unknown) => isSinkError(error) && error.errorClass === 'fatal' && /SLUICE_BIGQUERY_DATASET/.test(error.message));
  });
});
