/** The shared conformance suite against the real PostgreSQL (scripts/services.sh up). */
import { PostgresHarness } from './postgres-harness.ts';
import { runConformanceSuite } from './suite.ts';

runConformanceSuite(new PostgresHarness());
