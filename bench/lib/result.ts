/**
 * The result file of one scenario (bench/results/<scenario>.json) and its printed table.
 * Format (issue 10): {scenario, date, machine:{cores, memory, node, …}, runs:[{system, config,
 * events, seconds, events_per_s, p50_ms, p99_ms, peak_rss_mib, cpu_s, …}], ratios:{…}}; a
 * scenario may add fields (description, metrics definitions, targets) next to these.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage, type MachineInfo } from './machine.ts';

export const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type ConfigValue = string | number | boolean | null;

export interface BenchRun {
  readonly system: string;
  readonly config: Readonly<Record<string, ConfigValue>>;
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly peak_rss_mib: number | null;
  readonly cpu_s: number | null;
  /** Scenario-specific measurements (drain time, batches, target verified, …). */
  readonly [extra: string]: unknown;
}

export interface Target {
  readonly goal: string;
  readonly measured: number | null;
  readonly met: boolean | null;
}

export interface BenchResult {
  readonly scenario: string;
  readonly description: string;
  readonly date: string;
  readonly machine: MachineInfo & { readonly load_average_at_end?: readonly number[] };
  readonly metrics: Readonly<Record<string, string>>;
  readonly runs: readonly BenchRun[];
  readonly ratios: Readonly<Record<string, number | null>>;
  readonly targets: Readonly<Record<string, Target>>;
  readonly notes: readonly string[];
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined || denominator === 0) return null;
  return round(numerator / denominator, 2);
}

export function resultPath(scenario: string): string {
  return path.join(benchRoot, 'bench/results', `${scenario}.json`);
}

export function writeResult(result: BenchResult): string {
  const file = resultPath(result.scenario);
  mkdirSync(path.dirname(file), { recursive: true });
  const withEnd = { ...result, machine: { ...result.machine, load_average_at_end: loadAverage() } };
  writeFileSync(file, `${JSON.stringify(withEnd, null, 2)}\n`);
  return file;
}

const COLUMNS: readonly (keyof BenchRun)[] = ['system', 'events', 'seconds', 'events_per_s', 'p50_ms', 'p99_ms', 'peak_rss_mib', 'cpu_s'];

/** The runs as an aligned text table, then ratios and targets. */
export function formatTable(result: Pick<BenchResult, 'scenario' | 'runs' | 'ratios' | 'targets'>): string {
  const cell = (value: unknown): string => (value === null || value === undefined ? '-' : typeof value === 'number' ? String(round(value, 2)) : String(value));
  const rows = result.runs.map((run) => COLUMNS.map((column) => cell(run[column])));
  const header = COLUMNS.map(String);
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  const lines = [`== ${result.scenario}`, ...[header, ...rows].map((row) => row.map((value, index) => (index === 0 ? value.padEnd(widths[index]!) : value.padStart(widths[index]!))).join('  '))];
  for (const [name, value] of Object.entries(result.ratios)) lines.push(`ratio ${name}: ${value ?? '-'}`);
  for (const [name, target] of Object.entries(result.targets)) lines.push(`target ${name}: ${target.goal}; measured ${target.measured ?? '-'} → ${target.met === null ? 'not measured' : target.met ? 'met' : 'MISSED'}`);
  return lines.join('\n');
}
