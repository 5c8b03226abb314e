/**
 * The PostgreSQL destination (SLUICE_DESTINATION=postgres): COPY into a temporary staging table,
 * then one set-based upsert and one delete per batch, in one transaction. See docs/postgres.md.
 */
import type { ConnectorDefinition } from '../../src/writer/types.ts';
import { describeConfig, parsePostgresConfig, settingDocs } from './config.ts';
import { PostgresWriter } from './writer.ts';

const postgres: ConnectorDefinition = {
  name: 'postgres',
  description: 'PostgreSQL: COPY to a staging table, then a set-based upsert and delete per batch; optional exactly-once offsets.',
  settings: {
    docs: settingDocs,
    validate(env) {
      parsePostgresConfig(env);
    },
  },
  createWriter({ env, logger }) {
    const config = parsePostgresConfig(env);
    const childLogger = logger.child({ destination: 'postgres' });
    childLogger.info({ event: 'config', config: describeConfig(config) }, 'PostgreSQL writer settings');
    return new PostgresWriter(config, childLogger);
  },
};

export default postgres;
