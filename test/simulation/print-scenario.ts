/**
 * Prints a scenario's metrics and the adaptive run's timeline, for tuning and for reading what
 * the controller did:  node --import tsx test/simulation/print-scenario.ts <file.yaml> [every_s]
 */
import { bandViolations, runScenario } from './model/run-scenario.ts';
import { loadScenario } from './model/scenario.ts';

const [file, everyArg] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: print-scenario.ts <scenario.yaml> [every_s]');
  process.exit(2);
}
const every = Number(everyArg ?? 10);
const scenario = loadScenario(file);
const started = performance.now();
const { metrics, adaptive } = runScenario(scenario);
const elapsed = performance.now() - started;
for (const tick of adaptive.ticks) {
  if (tick.t % every !== 0) continue;
  console.log(
    `t=${tick.t}s batch=${tick.batchSize} conc=${tick.concurrency} lag=${tick.totalLag} class=${tick.lagClass} ` +
      `paused=${tick.pausedPartitions} used=${(tick.usedBytes / 1_048_576).toFixed(1)}MiB written=${tick.written} bottleneck=${tick.bottleneck}`,
  );
}
for (const { t, reason } of adaptive.reasons.slice(0, 60)) console.log(`  ${t}s ${reason}`);
for (const { t, event } of adaptive.events.slice(0, 40)) console.log(`  ${t}s event ${JSON.stringify(event)}`);
console.log(metrics);
console.log('violations:', bandViolations(scenario, metrics));
console.log(`real time ${elapsed.toFixed(0)} ms`);
