/**
 * The shared conformance suite against the Elasticsearch/OpenSearch writer, once per flavour:
 * the OpenSearch flavour against the real OpenSearch 2.19, the Elasticsearch flavour through the
 * product-check proxy in front of it (test/support/es-product-proxy.ts).
 */
import { ElasticsearchHarness } from './elasticsearch-harness.ts';
import { runConformanceSuite } from './suite.ts';

runConformanceSuite(new ElasticsearchHarness('opensearch'));
runConformanceSuite(new ElasticsearchHarness('elasticsearch'));
