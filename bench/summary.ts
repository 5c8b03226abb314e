/**
 * Prints a Markdown summary of the committed results (bench/results/<scenario>.json of
 * `npm run bench`): one line per target with its measured value, and the machine and date of
 * each file — the source of README's "Performance" table.
 *
 *   node --import tsx bench/summary.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import type { BenchResult } from './lib/result.ts';
import { resultPath } from './lib/result.ts';

const SCENARIOS = ['pg-throughput', 'latency', 'backfill', 'memory', 'decode', 'elasticsearch-bulk', 'snowflake', 'bigquery'];

const lines = ['| scenario | target | measured | met | date (UTC) |', '|---|---|---|---|---|'];
for (const scenario of SCENARIOS) {
  const file = resultPath(scenario);
  if (!existsSync(file)) continue;
  const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
  if (result.targets === undefined) continue;
  for (const [name, target] of Object.entries(result.targets)) {
    lines.push(`| ${scenario} | ${name}: ${target.goal} | ${target.measured ?? '–'} | ${target.met === null ? 'not measured' : target.met ? 'yes' : '**no**'} | ${result.date.slice(0, 16).replace('T', ' ')} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
