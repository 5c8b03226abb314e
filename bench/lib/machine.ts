/** The machine a benchmark ran on, recorded in every result file. */
import os from 'node:os';
import { round } from './result.ts';

export interface MachineInfo {
  readonly cores: number;
  readonly memory: string;
  readonly node: string;
  readonly cpu: string;
  readonly load_average_at_start: readonly number[];
  readonly shared: string;
}

export function machineInfo(): MachineInfo {
  return {
    cores: os.cpus().length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    load_average_at_start: loadAverage(),
    shared: 'Kafka, PostgreSQL, the benchmark, sluice and other engineers\' work share these cores',
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((value) => round(value, 2));
}
