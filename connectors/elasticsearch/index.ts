/**
 * The Elasticsearch/OpenSearch destination (SLUICE_DESTINATION=elasticsearch). Which client
 * library is used is SLUICE_ES_FLAVOUR; that SDK is imported only when the writer opens.
 */
import type { ConnectorDefinition } from '../../src/writer/types.ts';
import { parseConfig, settingDocs } from './config.ts';
import { ElasticsearchWriter } from './writer.ts';

const elasticsearch: ConnectorDefinition = {
  name: 'elasticsearch',
  description: 'Elasticsearch 8/9 or OpenSearch: one index per table, _bulk with external versioning from the source position.',
  settings: {
    docs: settingDocs,
    validate(env) {
      parseConfig(env);
    },
  },
  createWriter({ logger, env }) {
    return new ElasticsearchWriter(parseConfig(env), logger);
  },
};

export default elasticsearch;
