/**
 * The BigQuery destination (SLUICE_DESTINATION=bigquery): each table batch is loaded into a
 * per-batch staging table (a load job of newline-delimited JSON) and applied with one MERGE per
 * table, MERGEs on one table serialised. @google-cloud/bigquery is loaded only when the writer
 * opens. See docs/bigquery.md.
 */
import type { ConnectorDefinition } from '../../src/writer/types.ts';
import { describeConfig, parseBigQueryConfig, settingDocs } from './config.ts';
import { BigQueryWriter } from './writer.ts';

const bigquery: ConnectorDefinition = {
  name: 'bigquery',
  description: 'BigQuery: load job into a per-batch staging table, then one MERGE per table batch (inserts, updates of the sent columns, deletes).',
  settings: {
    docs: settingDocs,
    validate(env) {
      parseBigQueryConfig(env);
    },
  },
  createWriter({ env, logger }) {
    const config = parseBigQueryConfig(env);
    const childLogger = logger.child({ destination: 'bigquery' });
    childLogger.info({ event: 'config', config: describeConfig(config) }, 'BigQuery writer settings');
    return new BigQueryWriter(config, childLogger);
  },
};

export default bigquery;
