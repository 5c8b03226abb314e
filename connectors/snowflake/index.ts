/**
 * The Snowflake destination (SLUICE_DESTINATION=snowflake): each table batch is loaded into a
 * temporary staging table (one bound JSON document per chunk) and applied with one MERGE in one
 * transaction. snowflake-sdk is loaded only when the first session opens. See docs/snowflake.md.
 */
import type { ConnectorDefinition } from '../../src/writer/types.ts';
import { describeConfig, parseSnowflakeConfig, settingDocs } from './config.ts';
import { SnowflakeWriter } from './writer.ts';

const snowflake: ConnectorDefinition = {
  name: 'snowflake',
  description: 'Snowflake: staged bulk load into a temporary table, then one MERGE per table batch (inserts, updates of the sent columns, deletes).',
  settings: {
    docs: settingDocs,
    validate(env) {
      parseSnowflakeConfig(env);
    },
  },
  createWriter({ env, logger }) {
    const config = parseSnowflakeConfig(env);
    const childLogger = logger.child({ destination: 'snowflake' });
    childLogger.info({ event: 'config', config: describeConfig(config) }, 'Snowflake writer settings');
    return new SnowflakeWriter(config, childLogger);
  },
};

export default snowflake;
