/**
 * The shared conformance suite against the Snowflake writer on the fakesnow emulator
 * (scripts/services.sh up fakesnow). These run on an emulator, not on Snowflake: see
 * docs/snowflake.md for what the emulator cannot show.
 */
import { SnowflakeHarness } from './snowflake-harness.ts';
import { runConformanceSuite } from './suite.ts';

runConformanceSuite(new SnowflakeHarness());
