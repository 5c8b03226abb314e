/**
 * `npm run chaos -- <fault>|all [--size ci|full] [--seed N]`: runs faults at full size (default)
 * (`npm run chaos -- table` prints the README table of the saved results)
 * against the real broker and PostgreSQL and prints each result; at full size the results go to
 * bench/results/chaos.json (replacing those faults' earlier entries). Exit 1 when any fault
 * failed a check (lost ≠ 0 among them).
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { faults } from './faults/index.ts';
import type { FaultResult, FaultSize } from './lib/result.ts';
import { resultsTable } from './lib/results-table.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { size: { type: 'string', default: 'full' }, seed: { type: 'string', default: '20261125' } } });
if (positionals[0] === 'table') {
  // `npm run chaos -- table`: the README table from bench/results/chaos.json.
  const saved = JSON.parse(await readFile(new URL('../bench/results/chaos.json', import.meta.url), 'utf8')) as { date: string; results: FaultResult[] };
  process.stdout.write(`${saved.date}\n\n${resultsTable(saved.results)}\n`);
  process.exit(0);
}
const wanted = positionals[0];
const size = values.size as FaultSize;
if (wanted === undefined || (size !== 'ci' && size !== 'full')) {
  process.stderr.write(`usage: npm run chaos -- <${faults.map((fault) => fault.name).join('|')}|all> [--size ci|full] [--seed N]\n`);
  process.exit(2);
}
const selected = wanted === 'all' ? faults : faults.filter((fault) => fault.name === wanted);
if (selected.length === 0) {
  process.stderr.write(`unknown fault "${wanted}"; known: ${faults.map((fault) => fault.name).join(', ')}, all\n`);
  process.exit(2);
}

const results: FaultResult[] = [];
for (const fault of selected) {
  process.stderr.write(`\n== ${fault.name} (${size}): ${fault.description}\n`);
  try {
    results.push(await fault.run({ size, seed: Number(values.seed), log: (message) => process.stderr.write(`[${fault.name}] ${message}\n`) }));
  } catch (error) {
    process.stderr.write(`[${fault.name}] ERROR ${(error as Error)?.stack ?? String(error)}\n`);
    results.push({
      fault: fault.name,
      size,
      produced: 0,
      written: 0,
      dead_lettered: 0,
      lost: -1,
      duplicated_in_final_state: -1,
      time_to_recover_s: null,
      passed: false,
      checks: [{ name: 'ran to the end', ok: false, detail: (error as Error)?.message ?? String(error) }],
      details: {},
      seconds: 0,
    });
  }
  const last = results.at(-1)!;
  process.stdout.write(`${JSON.stringify({ fault: last.fault, passed: last.passed, produced: last.produced, written: last.written, dead_lettered: last.dead_lettered, lost: last.lost, duplicated_in_final_state: last.duplicated_in_final_state, time_to_recover_s: last.time_to_recover_s })}\n`);
}

if (size === 'full') {
  // Full-size results replace the same faults' entries; other faults' entries are kept, so
  // faults can be re-run one at a time.
  const file = new URL('../bench/results/chaos.json', import.meta.url);
  let previous: { results?: FaultResult[] } = {};
  try {
    previous = JSON.parse(await readFile(file, 'utf8')) as { results?: FaultResult[] };
  } catch {
    previous = {};
  }
  const rerun = new Set(results.map((result) => result.fault));
  const merged = [...(previous.results ?? []).filter((result) => !rerun.has(result.fault)), ...results];
  const order = faults.map((fault) => fault.name);
  merged.sort((a, b) => order.indexOf(a.fault) - order.indexOf(b.fault));
  const machine = { cpus: os.cpus().length, memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  await writeFile(file, `${JSON.stringify({ date: new Date().toISOString(), seed: Number(values.seed), machine, results: merged }, null, 2)}\n`);
  process.stderr.write(`wrote ${file.pathname}\n`);
}
process.exit(results.every((result) => result.passed) ? 0 : 1);
