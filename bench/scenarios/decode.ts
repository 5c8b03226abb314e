/**
 * decode: bench/decode.ts (CPU only, one core) — sluice's decoder against a plain JSON.parse of
 * each whole event, same Buffers, same run; its result is already in the shared format, and
 * the target (≥ 2.5×) is added here.
 */
import type { BenchResult, BenchRun } from '../lib/result.ts';
import { machineInfo } from '../lib/machine.ts';
import { runBenchProgram } from './child-bench.ts';
import type { ScenarioOptions } from './scenario.ts';

interface DecodeFile {
  readonly date: string;
  readonly runs: BenchRun[];
  readonly ratios: Record<string, number>;
}

export async function decode(options: ScenarioOptions): Promise<BenchResult> {
  const machine = machineInfo();
  const events = options.events ?? 200_000;
  const file = (await runBenchProgram('bench/decode.ts', ['--events', String(events)], 'bench/results/decode.json')) as DecodeFile;
  const speedup = file.ratios.decoder_vs_json_parse ?? null;
  return {
    scenario: 'decode',
    description: `${events} Debezium update events (7-column table, JSON with schemas, ~3.9 KB key+value) decoded on one core: createDecoder().decode(record) vs JSON.parse of key and value; then 2^53+ keys (lossless path)`,
    date: file.date,
    machine,
    metrics: { seconds: 'decode time of all events (generation not timed)', cpu_s: 'process CPU during the timed decode', peak_rss_mib: 'the benchmark process (both contenders)' },
    runs: file.runs,
    ratios: file.ratios,
    targets: { decoder_vs_json_parse: { goal: '≥ 2.5× JSON.parse, no precision loss', measured: speedup, met: speedup === null ? null : speedup >= 2.5 } },
    notes: ['bench/decode.ts checks the decoded values (64-bit keys, decimals) before timing.'],
  };
}
