/** What `npm run bench -- <scenario> [--events N] …` passes to a scenario. */
import type { BenchResult } from '../lib/result.ts';

export interface ScenarioOptions {
  /** Events (scenario-specific meaning; each scenario has a default that fits this machine). */
  readonly events?: number;
  /** Length of a measured slice or steady phase, in seconds. */
  readonly sliceSeconds?: number;
  /** Cap on one system's run, in seconds. */
  readonly limitSeconds?: number;
  /** Profile sluice with `node --cpu-prof` where the scenario supports it. */
  readonly profile: boolean;
  /** Also run the Avro-encoded variant where the scenario has one (default true; `--no-avro`). */
  readonly avro?: boolean;
}

export type Scenario = (options: ScenarioOptions) => Promise<BenchResult>;
