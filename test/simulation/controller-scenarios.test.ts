/**
 * Every file in scenarios/ is a test: the real controller runs inside the modelled pipeline and
 * each metric named under `expect` must fall within its [min, max] band.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bandViolations, runScenario } from './model/run-scenario.ts';
import { loadScenario } from './model/scenario.ts';

const directory = join(import.meta.dirname, 'scenarios');
const files = readdirSync(directory)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

test('there are scenario files', () => {
  assert.ok(files.length >= 8, `found ${files.length}`);
});

for (const file of files) {
  const scenario = loadScenario(join(directory, file));
  test(`${file}: ${scenario.description.split('\n')[0]}`, (t) => {
    const { metrics } = runScenario(scenario);
    const shown = Object.fromEntries(Object.keys(scenario.expect).map((k) => [k, metrics[k]]));
    t.diagnostic(JSON.stringify(shown));
    assert.equal(metrics.unaccounted_records, 0, 'every produced record is written, lost (counted) or still in Kafka');
    assert.deepEqual(bandViolations(scenario, metrics), []);
  });
}
