/** Runs one scenario: the adaptive controller, then each pinned comparison, in the same world. */
import { computeMetrics, type Metrics } from './metrics.ts';
import { type RunRecord, simulate } from './pipeline-model.ts';
import type { Scenario } from './scenario.ts';

export interface ScenarioOutcome {
  readonly metrics: Metrics;
  readonly adaptive: RunRecord;
  readonly statics: readonly RunRecord[];
}

export function runScenario(scenario: Scenario): ScenarioOutcome {
  const adaptive = simulate(scenario.params);
  const statics = scenario.params.compare_static.map((pinned) => simulate(scenario.params, pinned));
  return { metrics: computeMetrics(adaptive, scenario.params, statics), adaptive, statics };
}

/** Metrics outside their band, as readable lines; empty when the scenario passes. */
export function bandViolations(scenario: Scenario, metrics: Metrics): string[] {
  const violations: string[] = [];
  for (const [name, [min, max]] of Object.entries(scenario.expect)) {
    const value = metrics[name];
    if (value === undefined) violations.push(`${name}: no such metric`);
    else if (!(value >= min && value <= max)) violations.push(`${name} = ${value} outside [${min}, ${max}]`);
  }
  return violations;
}
