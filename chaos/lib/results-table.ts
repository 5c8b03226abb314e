/** The README's "Reliability" table from bench/results/chaos.json's results. */
import type { FaultResult } from './result.ts';

export function resultsTable(results: readonly FaultResult[]): string {
  const lines = [
    '| Fault | Size | Produced | Written | Dead-lettered | Lost | Duplicated in final state | Time to recover (s) | Checks |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const result of results) {
    const failed = result.checks.filter((check) => !check.ok).map((check) => check.name);
    const checks = failed.length === 0 ? `all ${result.checks.length} pass` : `**failed:** ${failed.join('; ')}`;
    const number = (value: number): string => value.toLocaleString('en-US');
    lines.push(
      `| ${result.fault} | ${result.size} | ${number(result.produced)} | ${number(result.written)} | ${number(result.dead_lettered)} | ${result.lost} | ${result.duplicated_in_final_state} | ${result.time_to_recover_s ?? '–'} | ${checks} |`,
    );
  }
  return lines.join('\n');
}
