/**
 * `npm run bench -- <scenario>|all [--events N] [--slice-seconds S] [--limit-seconds S] [--no-profile] [--no-avro]`
 *
 * Runs one scenario (or every one, in order) and writes bench/results/<scenario>.json, printing
 * a table of its runs, ratios and targets. Starts the services a scenario needs with
 * scripts/services.sh when they are not running. Scenarios: see SCENARIOS below and
 * docs/performance.md.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startServices } from '../test/support/services.ts';
import { benchRoot, formatTable, writeResult } from './lib/result.ts';
import { backfill } from './scenarios/backfill.ts';
import { decode } from './scenarios/decode.ts';
import { bigqueryBatched, elasticsearchBulk, snowflakeBatched } from './scenarios/destinations.ts';
import { latency } from './scenarios/latency.ts';
import { memory } from './scenarios/memory.ts';
import { pgThroughput } from './scenarios/pg-throughput.ts';
import type { Scenario } from './scenarios/scenario.ts';

interface ScenarioEntry {
  readonly run: Scenario;
  /** scripts/services.sh names it needs. */
  readonly services: readonly string[];
}

const SCENARIOS: Readonly<Record<string, ScenarioEntry>> = {
  decode: { run: decode, services: [] },
  'pg-throughput': { run: pgThroughput, services: ['kafka', 'postgres'] },
  latency: { run: latency, services: ['kafka', 'postgres'] },
  backfill: { run: backfill, services: ['kafka', 'postgres'] },
  memory: { run: memory, services: ['kafka', 'postgres'] },
  'elasticsearch-bulk': { run: elasticsearchBulk, services: ['opensearch'] },
  snowflake: { run: snowflakeBatched, services: ['fakesnow'] },
  bigquery: { run: bigqueryBatched, services: ['bigquery'] },
};

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string' },
    'slice-seconds': { type: 'string' },
    'limit-seconds': { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
    'no-avro': { type: 'boolean', default: false },
  },
});

const wanted = positionals[0];
if (wanted === undefined || (wanted !== 'all' && SCENARIOS[wanted] === undefined)) {
  process.stderr.write(`usage: npm run bench -- <${[...Object.keys(SCENARIOS), 'all'].join('|')}> [--events N] [--slice-seconds S] [--limit-seconds S] [--no-profile] [--no-avro]\n`);
  process.exit(2);
}

function ensureServices(names: readonly string[]): void {
  if (names.length === 0) return;
  try {
    execFileSync('scripts/services.sh', ['status', ...names], { cwd: benchRoot, stdio: 'ignore' });
  } catch {
    process.stdout.write(`starting services: ${names.join(' ')}\n`);
    execFileSync('scripts/services.sh', ['up', ...names], { cwd: benchRoot, stdio: 'inherit' });
  }
}

const names = wanted === 'all' ? Object.keys(SCENARIOS) : [wanted];
const failed: string[] = [];
for (const name of names) {
  const entry = SCENARIOS[name]!;
  try {
    ensureServices(entry.services);
    if (entry.services.includes('kafka')) await startServices();
    const result = await entry.run({
      events: args.events === undefined || wanted === 'all' ? undefined : Number(args.events),
      sliceSeconds: args['slice-seconds'] === undefined ? undefined : Number(args['slice-seconds']),
      limitSeconds: args['limit-seconds'] === undefined ? undefined : Number(args['limit-seconds']),
      profile: !args['no-profile'],
      avro: !args['no-avro'],
    });
    const file = writeResult(result);
    process.stdout.write(`${formatTable(result)}\nwritten to ${file.replace(`${benchRoot}/`, '')}\n\n`);
  } catch (error) {
    failed.push(name);
    process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
// kafkajs and pg keep sockets in their pools: the benchmark is done, so leave now.
process.exit(process.exitCode ?? 0);
