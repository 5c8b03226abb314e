/**
 * The shared conformance suite against the BigQuery writer on goccy/bigquery-emulator
 * (scripts/services.sh up bigquery). These run on an emulator, not on BigQuery: see
 * docs/bigquery.md for what the emulator cannot show.
 */
import { BigQueryHarness } from './bigquery-harness.ts';
import { runConformanceSuite } from './suite.ts';

runConformanceSuite(new BigQueryHarness());
